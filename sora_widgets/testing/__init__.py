"""Helpers for tests and benchmarks only; the product never imports this package.

:mod:`.tiny_pipelines` builds tiny randomly initialised diffusers pipelines (real classes, real
``save_pretrained`` folders) so the GPU engines can be driven end to end on a CPU in seconds.
:mod:`.cascade` writes a big remix cascade in bulk (the lineage page's tests and benchmark);
:mod:`.page_weight` weighs the JavaScript a dashboard page fetched (``test_page_weight_browser``).
"""
