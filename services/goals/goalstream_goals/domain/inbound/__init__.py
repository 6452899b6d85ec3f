"""Records from CRMs and analytics platforms, in one shape, before a field mapping turns them into measurements."""
