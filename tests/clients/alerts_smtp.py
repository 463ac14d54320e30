"""A real SMTP server (aiosmtpd) for Alerts tests: writes every accepted message as one JSON line.

usage: python3 alerts_smtp.py PORT OUTFILE
Prints "ready" once listening.
"""
import threading
import email
import json
import sys

from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        entry = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": message.get("Subject"),
            "idempotencyKey": message.get("X-Sluice-Idempotency-Key"),
            "messageId": message.get("Message-ID"),
            "body": message.get_payload(decode=True).decode("utf-8", "replace") if not message.is_multipart() else "",
        }
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        return "250 OK"


controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    threading.Event().wait()
finally:
    controller.stop()
