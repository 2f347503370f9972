"""The single-statement reads (the driver path, see ``app/db/direct.py``): lists, the feed, an
article, its comments, the tags. Each builds its statements once per shape with bound parameters and
checks the viewer's token in the same statement (``viewer.py``). Nothing here writes; the session
writes are in ``app/db/repositories`` and the two never import each other."""
