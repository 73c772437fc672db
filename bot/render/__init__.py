"""Rendering: one module per output, the only place text from reports and models is escaped.

text.py      plain text (CLI, logs) and what every output shares: source lines, link policy
markdown.py  CommonMark (the /v1 API, the gradio chat)
html.py      HTML (the web UI's sources panel; gradio's template characters too)
telegram.py  Telegram's HTML subset
slack.py     Slack mrkdwn
"""
