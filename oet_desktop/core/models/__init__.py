"""The model catalogue, the registry that finds and verifies model files, and the downloader."""
