"""The one exception type whose message is shown to the user as a single line."""


class Vis3dError(Exception):
    """A user-facing problem: bad file, missing data, unknown layer.

    The CLI prints ``str(err)`` on one line and exits with status 2; the window
    shows it in the status bar. Messages name the file or thing at fault.
    """


class NoTestData(Vis3dError):
    """A model that is not an MNIST digit model was given no test pictures: the analyses
    that need a test set are not available (not a fault: the window says so where they
    would be shown)."""
