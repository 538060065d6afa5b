"""A closed page's Gradio state (the visitor's photo, avatar) is dropped within seconds, not kept for an hour."""

from __future__ import annotations

import gradio as gr
from gradio.routes import App

from relive.ui.server import forget_closed_sessions


def test_closed_sessions_lose_their_state_open_ones_keep_it():
    with gr.Blocks() as demo:
        picture = gr.State(None)
    App.create_app(demo)  # what mounting does: gives the Blocks its session table
    holder = demo.state_holder
    for session in ("open", "closed"):
        holder[session][picture._id] = f"{session} visitor's avatar"
    holder["closed"].is_closed = True  # Gradio marks it so when the page's heartbeat stops
    forget_closed_sessions(demo)
    assert "closed" not in holder.session_data
    assert holder["open"][picture._id] == "open visitor's avatar"
