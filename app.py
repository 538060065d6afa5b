"""relive's Gradio app. ``python app.py`` serves it on http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT honoured)."""

import relive.ui

demo = relive.ui.build_demo()

if __name__ == "__main__":
    demo.launch(**relive.ui.launch_kwargs())
