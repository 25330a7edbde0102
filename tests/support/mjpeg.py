"""A small MJPEG-over-HTTP camera for tests: serves a video file's frames on loopback."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2

BOUNDARY = b"lfrframe"


class MJPEGCamera:
    """Serves http://127.0.0.1:PORT/stream.mjpg until stopped; can be stopped and restarted
    on the same port to simulate a camera dropping off the network."""

    def __init__(self, video_path, fps=12.0, port=None):
        self.frames = self._load(video_path)
        self.fps = fps
        self.port = port or _free_port()
        self._server = None
        self._thread = None

    @staticmethod
    def _load(video_path):
        capture = cv2.VideoCapture(str(video_path))
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.imencode(".jpg", frame)[1].tobytes())
        return frames

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self):
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header(
                    "Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}"
                )
                self.end_headers()
                index = 0
                try:
                    while camera._server is not None:
                        jpeg = camera.frames[index % len(camera.frames)]
                        self.wfile.write(
                            b"--"
                            + BOUNDARY
                            + b"\r\nContent-Type: image/jpeg\r\n"
                            + f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                            + jpeg
                            + b"\r\n"
                        )
                        index += 1
                        time.sleep(1 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.allow_reuse_address = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
