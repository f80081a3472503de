"""The journal of a game day: every fact, one JSON record per line (:mod:`.store`).

Everything is scored from it alone, so a run that crashed or was killed can be scored
again (``gameday report RUN_DIR``).
"""
