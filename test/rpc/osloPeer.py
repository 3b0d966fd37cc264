"""A peer speaking through oslo.messaging itself (Debian's python3-oslo.messaging),
driven by the interop test over stdin/stdout, one JSON object per line.

    python3 osloPeer.py rabbit://guest:guest@127.0.0.1:5672/vhost

Commands (each answered by one line, {"ok": ...} or {"error": {...}}):
    {"op": "serve", "topic": "t", "server": "host", "version": "1.2"}
    {"op": "call" | "cast" | "fanout", "topic": "t", "method": "m", "args": {...},
     "version": "1.2", "server": null, "context": {...}}
    {"op": "received"}      what the served endpoint got so far
    {"op": "stop"}
"""
import json
import sys
import threading

import oslo_messaging as om
from oslo_config import cfg


class PeerFailure(Exception):
    """Raised by the endpoint's `fail` method: what a Neutron handler's exception looks like."""


def main(url):
    om.set_transport_defaults('neutron')
    conf = cfg.CONF
    conf([])
    transport = om.get_rpc_transport(conf, url=url)
    received = []
    lock = threading.Lock()
    servers = []

    class Endpoint(object):
        def __init__(self, version):
            self.target = om.Target(version=version)

        def echo(self, ctxt, **kwargs):
            with lock:
                received.append({'method': 'echo', 'args': kwargs, 'context': ctxt})
            return {'args': kwargs, 'request_id': ctxt.get('request_id')}

        def fail(self, ctxt, **kwargs):
            raise PeerFailure('the peer failed on purpose')

    def answer(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()

    for line in sys.stdin:
        command = json.loads(line)
        op = command['op']
        try:
            if op == 'serve':
                target = om.Target(topic=command['topic'], server=command['server'])
                server = om.get_rpc_server(transport, target, [Endpoint(command['version'])], executor='threading')
                server.start()
                servers.append(server)
                answer({'ok': True})
            elif op in ('call', 'cast', 'fanout'):
                target = om.Target(topic=command['topic'], server=command.get('server'), fanout=(op == 'fanout'))
                client = om.RPCClient(transport, target)
                prepared = client.prepare(version=command.get('version'), timeout=command.get('timeout', 5))
                context = command.get('context') or {}
                if op == 'call':
                    answer({'ok': prepared.call(context, command['method'], **command['args'])})
                else:
                    prepared.cast(context, command['method'], **command['args'])
                    answer({'ok': None})
            elif op == 'received':
                with lock:
                    answer({'ok': list(received)})
            elif op == 'stop':
                for server in servers:
                    server.stop()
                    server.wait()
                answer({'ok': True})
                break
        except om.RemoteError as err:
            answer({'error': {'class': 'RemoteError', 'exc_type': err.exc_type, 'value': err.value}})
        except Exception as err:  # noqa: B902 - reported to the test, which decides
            answer({'error': {'class': type(err).__name__, 'value': str(err)}})
    transport.cleanup()


if __name__ == '__main__':
    main(sys.argv[1])
