"""A taken port is refused before moto is imported, with a port that is free to use instead."""

import re
import socket

from emulator.__main__ import _port_in_use, main


def test_a_taken_port_is_refused_with_a_free_one_to_use(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--host", "127.0.0.1", "--port", str(port)]) == 1
    message = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in message
    suggested = int(re.search(r"--port (\d+) \(with make: EMULATOR_PORT=\1\)", message).group(1))
    assert suggested > port and not _port_in_use("127.0.0.1", suggested)
