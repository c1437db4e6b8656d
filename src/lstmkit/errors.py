"""The one exception type users see: a problem with their input, phrased as problem + fix."""


class LstmkitError(ValueError):
    """Bad input or state that the user can fix; the CLI prints it as one line, no traceback.

    Example:
        raise LstmkitError(f"{path}: file is empty; pass a file that contains text")
    """
