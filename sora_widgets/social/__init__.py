"""The social layer: accounts, follows, feed, DMs, parental controls (accounts so far)."""
