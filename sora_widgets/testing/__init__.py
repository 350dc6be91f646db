"""Helpers for tests and benchmarks only; the product never imports this package.

:mod:`.tiny_pipelines` builds tiny randomly initialised diffusers pipelines (real classes, real
``save_pretrained`` folders) so the GPU engines can be driven end to end on a CPU in seconds.
"""
