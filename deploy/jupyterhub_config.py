"""JupyterHub in front of sora-widgets: every person logs in to the Hub, gets their own server, opens the Studio.

Run it (after choosing an authenticator and a spawner below):

    SORA_WIDGETS_HOME=/srv/sora-widgets/data jupyterhub -f deploy/jupyterhub_config.py

What it sets up, and why (docs/jupyterhub.md says more):

- **Voila as a server extension in each person's single-user server**, not one
  Voila run as a Hub service. The Hub's spawner places each server (one machine
  or many, with its own CPU/GPU/memory limits), the person's generations run in
  their own server, and the same server gives them JupyterLab for notebooks.
  Identity needs no code of ours: jupyter_server's ``JupyterHubIdentityProvider``
  (Hub OAuth) has verified the visitor before any page runs, and the Hub's
  access scopes decide who may open whose server.
- ``sora_widgets.auth.hub`` (a jupyter server extension) hands that verified
  name to the dashboard's kernel with the same signed token as a standalone
  Voila server (``auth.hook``), and on a person's first visit asks their
  birthdate once to create their account through the accounts service.
- The Voila flags (allowed media files, idle-kernel culling, no tracebacks)
  come from ``sora_widgets.serve.voila_argv``: one definition for every server.
- Each server's home gets a ``sora-dashboards`` link to the installed dashboards,
  so Voila serves them while JupyterLab still opens in the person's own files.

The store: every server reads ``SORA_WIDGETS_HOME``, one shared folder, so people
see and remix each other's clips. All servers must run as one Unix account (or one
uid in containers sharing a volume), because the store's kernel key and database are
files that account owns. That also means anyone's notebook code can open the store
directly: this layout is for a group that trusts each other with the data (a team, a
class). docs/security.md explains why and how a store shared with strangers must be
reached instead (a service that checks the user, or a database with per-user roles).
"""

import os
import sys
from pathlib import Path

from sora_widgets.serve import dashboards_dir, voila_argv

c = get_config()  # noqa: F821  (JupyterHub provides get_config in config files)

# ---------------------------------------------------------------- where the Hub listens
c.JupyterHub.bind_url = os.environ.get("SORA_HUB_BIND_URL", "http://127.0.0.1:8000")

# ---------------------------------------------------------------- who may log in (choose one)
# JupyterHub 5+ lets no one in until an allow-list or allow_all is set.
# c.JupyterHub.authenticator_class = "github"          # oauthenticator: pip install oauthenticator
# c.Authenticator.allowed_users = {"alice", "bob"}
# c.Authenticator.admin_users = {"alice"}             # Hub admins; Studio roles are separate:
#                                                     #   sora-widgets users set-role <handle> reviewer|admin
# Hub user names become Studio handles as they are (2-30 of a-z, 0-9, '_' and '.'); a name
# outside that gets a page saying so. Enforce it at login with Authenticator.username_pattern.

# ---------------------------------------------------------------- where servers run (choose one)
# All servers share one uid and one volume for the store, e.g. with DockerSpawner:
# c.JupyterHub.spawner_class = "docker"
# c.DockerSpawner.image = "your-registry/sora-widgets:latest"   # this package installed
# c.DockerSpawner.volumes = {"/srv/sora-widgets/data": "/srv/sora-widgets/data"}
# c.DockerSpawner.network_name = "jupyterhub"

# ---------------------------------------------------------------- each person's server
STORE_HOME = os.environ.get("SORA_WIDGETS_HOME", "/srv/sora-widgets/data")
# sys.executable: the single-user server runs from the environment this package is in.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.environment = {"SORA_WIDGETS_HOME": str(Path(STORE_HOME).absolute())}
_VOILA_FLAGS = tuple(a for a in voila_argv("unused", port=0)
                     if a.startswith(("--VoilaConfiguration.", "--MappingKernelManager.")))
c.Spawner.args = ["--ServerApp.jpserver_extensions=sora_widgets.auth.hub=True", *_VOILA_FLAGS]
DASHBOARDS_LINK = "sora-dashboards"
c.Spawner.default_url = f"/voila/render/{DASHBOARDS_LINK}/studio.ipynb"


def link_dashboards(spawner) -> None:
    """Before a server starts: ``~/sora-dashboards`` -> the installed dashboards (made once).

    Args:
        spawner: the JupyterHub spawner about to start the server; its ``home_dir`` when it
            has one (SimpleLocalProcessSpawner), else the person's Unix home.
    """
    home = Path(getattr(spawner, "home_dir", "") or os.path.expanduser(f"~{spawner.user.name}"))
    home.mkdir(parents=True, exist_ok=True)
    link = home / DASHBOARDS_LINK
    if not link.is_symlink():
        link.symlink_to(dashboards_dir(), target_is_directory=True)


c.Spawner.pre_spawn_hook = link_dashboards
