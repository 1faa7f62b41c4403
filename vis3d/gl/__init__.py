"""VisPy visuals and the scene: thin layers over the numpy core."""
