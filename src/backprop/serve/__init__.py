"""backprop studio: the browser app of ``backprop serve`` (see docs/studio.md).

    playground.py   TensorFlow Playground's 2-D problems, trained by backprop on the server
    graph.py        an expression's computational graph, forward values and gradients, for the graph view
    runs.py         the runs under --runs: settings, curves, report, checkpoint shapes
    app.py          the Starlette app that serves them (HTTP + a websocket per playground tab) and the server
    static/         the page itself: plain HTML, CSS and JavaScript, no build step

Importing this package imports nothing of the web stack: Starlette, uvicorn and markdown-it (the ``serve``
extra) are imported by app.py and runs.py alone, so that ``import backprop`` never needs them.
"""

NEEDS_EXTRA = "backprop serve needs the serve extra: pip install 'backprop[serve]'"
