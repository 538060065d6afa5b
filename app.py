"""relive's Gradio app. ``python app.py`` serves it on http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT honoured).

    python app.py            # in a browser (or a Hugging Face Space)
    python app.py --kiosk    # the festival booth: full screen, big buttons, no API, idle reset (= RELIVE_KIOSK=1)
"""

import argparse
import os


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="relive: festival souvenirs in a browser")
    parser.add_argument("--kiosk", action="store_true",
                        help="touch-screen booth mode: full screen, large touch targets, no API, idle reset "
                             "after RELIVE_IDLE_S seconds (same as RELIVE_KIOSK=1)")
    return parser.parse_args()


if __name__ == "__main__" and _parse_args().kiosk:
    os.environ["RELIVE_KIOSK"] = "1"  # before anything reads the settings

if os.environ.get("SPACE_ID"):  # a Hugging Face Space runs app.py itself, not `make run`: fetch the offline models
    import subprocess
    import sys

    fetcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "fetch_models.py")
    subprocess.run([sys.executable, fetcher], check=False)  # a failure only disables the tabs that need them

from relive import retention  # noqa: E402

retention.keep_uploads_private()  # before gradio is imported: it reads GRADIO_TEMP_DIR at import time

import relive.ui  # noqa: E402

demo = relive.ui.build_demo()

if __name__ == "__main__":
    from relive.ui.server import serve

    serve(demo)  # Gradio plus relive's own routes (the QR code's phone downloads) on one port
