"""Prefect flows, deployments and the ``ocrflow`` command line."""
