"""Qt widgets: the window, the draw pad, the panels."""
