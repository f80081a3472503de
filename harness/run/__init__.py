"""Playing game days: one run (:mod:`.runner`), what runs alongside it (the stop
monitor :mod:`.stop`, the human :mod:`.responder`), ``--repeat`` (:mod:`.repeat`) and the
console (:mod:`.progress`).
"""
