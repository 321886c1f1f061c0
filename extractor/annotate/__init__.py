"""The browser annotator (`shopwright annotate STORE`): a local web app over one store.

    render.py       a stored page made safe to show, every text node and image marked
    state.py        annotations.jsonl behind the app: edits under a lock, atomic saves, versions
    attributes.py   the store's attribute list: standard ones and the custom ones a person adds
    prelabel.py     pre-labels of pages by the current model, with their confidence
    suggest.py      which page to annotate next: uncovered templates, then the least sure pages
    check.py        the Adapt button: adaptation, the leave-one-out check, a catalog preview
    session.py      one store opened in the annotator: pages, state, model, jobs
    app.py          the Starlette app: routes, the session token, security headers
    server.py       serving it on 127.0.0.1 (uvicorn) and opening the browser
    labelstudio.py  Label Studio tasks: export and import of annotations

The product's package: it imports neither `crawler` nor `metatrain`.
"""
