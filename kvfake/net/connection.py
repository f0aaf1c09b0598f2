"""One client connection: socket + parser + session + output buffer.

Strategy: ``on_readable`` receives what the socket has, feeds the parser and
runs every complete request, appending each encoded reply to one output
``bytearray``; ``flush`` then writes as much as the socket takes with one
``send`` per batch.  What is left waits for EVENT_WRITE, so a slow reader only
grows its own buffer and never blocks the loop.  A protocol error appends its
reply, stops reading and closes once the buffer is drained (Redis's
CLIENT_CLOSE_AFTER_REPLY).

A blocking command (BLPOP...) returns a ``Block``: the connection registers it
with the dispatcher's BlockingManager and stops running requests (what follows
stays buffered, as in Redis) until the manager calls ``unblocked(reply)``.
A command CLIENT PAUSE holds (``dispatch.POSTPONED``) parks the connection the
same way, keeping the command, until the dispatcher's ``unpause`` calls
``unpaused()``; then it runs first.  A MONITOR connection gets its lines through
``monitor_line``; its own command's reply goes out before that command's line.

Imports: kvfake.protocol, kvfake.dispatch, kvfake.session, kvfake.errors,
kvfake.commands.blocking.
"""

from __future__ import annotations

import selectors
import socket
import threading

from kvfake.commands.blocking import Block
from kvfake.dispatch import POSTPONED
from kvfake.errors import ProtocolError
from kvfake.protocol.encoder import encode_into, encode_many_into, error_bytes
from kvfake.protocol.parser import NEED_DATA, RequestParser
from kvfake.session import ClientSession

RECV_SIZE = 64 * 1024


class Connection:
    __slots__ = ("sock", "loop", "parser", "session", "ctx", "out", "closed", "_writing", "fileno",
                 "paused", "blocked", "postponed")

    def __init__(self, sock: socket.socket, loop, session: ClientSession) -> None:
        self.sock = sock
        self.loop = loop
        self.parser = RequestParser()
        self.session = session
        self.ctx = loop.dispatcher.new_context(session)
        self.ctx.push = self.push  # pub/sub messages, invalidations (kvfake.commands.pubsub)
        self.out = bytearray()
        self.closed = False
        self._writing = False
        self.fileno = sock.fileno()
        # a fault delay parked this connection: read, but run nothing until resumed
        self.paused = False
        # the Block of a blocking command (BLPOP...) waiting to be served: input is
        # read and buffered but not run until ``unblocked`` (Redis's CLIENT_BLOCKED)
        self.blocked = None
        # the command CLIENT PAUSE holds (``blocked`` is POSTPONED meanwhile)
        self.postponed = None

    # called by the loop with the selector event mask
    def __call__(self, mask: int) -> None:
        if mask & selectors.EVENT_READ:
            self.on_readable()
        if mask & selectors.EVENT_WRITE and not self.closed:
            self.flush()

    def on_readable(self) -> None:
        try:
            data = self.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        if self.session.close_after_reply:
            return  # Redis ignores input once it decided to close
        self.parser.feed(data)
        self.process()
        self.flush()

    def process(self) -> None:
        """Run every complete buffered request (until one asks to close)."""
        parser = self.parser
        session = self.session
        dispatcher = self.loop.dispatcher
        faults = self.loop.faults  # kvfake.faults.FaultSet: one attribute check per command
        session.last_interaction_ms = self.loop.store.clock.now_ms()  # CLIENT LIST idle=
        if self.postponed is not None and self.blocked is None:
            args, self.postponed = self.postponed, None  # unpaused: the held command first
            self.run_request(args)
        # The fast lane: while the client is in no special state (dispatcher.plain)
        # and no fault is armed, the data commands (spec.fast) at the front of each
        # parsed batch run through execute_batch in one go; the first other request
        # takes run_request, after which the state is looked at again.
        plain = dispatcher.plain(session)
        execute_batch = dispatcher.execute_batch
        ctx = self.ctx
        out = self.out
        replies: list = []
        parser.auth_required = dispatcher.auth_enabled and not session.authenticated
        batch: list = []  # requests parsed at once (parser.next_batch)
        done = 0
        while not session.close_after_reply and not self.paused and self.blocked is None:
            if done >= len(batch):
                done = 0
                batch = parser.next_batch()
                if batch is None:
                    batch = []
                    break  # nothing buffered
                if not batch:
                    try:
                        args = parser.next_request()
                    except ProtocolError as exc:
                        if session.reply_mode == "on":  # CLIENT REPLY OFF/SKIP drop this one too
                            out += error_bytes(exc.text)
                        session.close_after_reply = True
                        break
                    if args is NEED_DATA:
                        break
                    batch = [args]
            if plain and not faults.armed:
                done = execute_batch(ctx, batch, done, replies)
                if replies:
                    encode_many_into(out, replies, session.protover)
                    replies.clear()
                if done >= len(batch):
                    continue
            args = batch[done]
            done += 1
            if faults.armed and faults.intercept(self, args):
                plain = dispatcher.plain(session)
                continue
            self.run_request(args)
            plain = dispatcher.plain(session)
            parser.auth_required = dispatcher.auth_enabled and not session.authenticated
        if done < len(batch):
            parser.unread(batch[done:])  # parked or closing: the rest waits, unparsed as far as Redis knows

    def run_request(self, args: list) -> None:
        """Execute one request and append its reply (CLIENT REPLY and pending actions honoured)."""
        reply = self.loop.dispatcher.execute(self.ctx, args)
        if reply.__class__ is Block:
            self.blocked = reply
            self.loop.dispatcher.blocking.block(self, reply)
            return
        if reply is POSTPONED:
            self.blocked = POSTPONED
            self.postponed = args
            self.loop.dispatcher.postpone(self)
            return
        self.emit(reply)

    def unpaused(self) -> None:
        """CLIENT PAUSE ended: run the held command, then the buffered input (loop thread)."""
        if self.blocked is POSTPONED:
            self.blocked = None
        if not self.closed:
            self.loop.resume(self)

    def monitor_line(self, line: bytes, own: bool) -> None:
        """A MONITOR line for this (monitor) connection; ``own``: about its own command,
        whose reply is not written yet, so the line follows it (redis 7.0 order)."""
        if self.closed or self.session.reply_mode == "off":
            return
        if own:
            session = self.session
            previous = session.pending_action

            def after_reply(conn) -> None:
                if previous is not None:
                    previous(conn)
                conn.out += line

            session.pending_action = after_reply
            return
        self.out += line
        if not self._writing:  # flushed when the socket is writable: never blocks the loop
            self._writing = True
            self.loop.set_write_interest(self, True)

    def push(self, reply, after_reply: bool = False) -> None:
        """Send an out-of-band reply (pub/sub message, keyspace event, invalidation).

        It goes to this client's own output buffer, whatever its CLIENT REPLY mode
        (Redis's CLIENT_PUSHING), and the socket is written when it is writable: a
        slow subscriber only grows its own buffer.  ``after_reply``: the client is the
        one running a command, and the frame follows that command's reply.  From
        another thread (Store API writes, clock moves) the frame is posted to the loop.
        """
        if self.closed:
            return
        loop = self.loop
        if loop.thread_ident is not None and threading.get_ident() != loop.thread_ident:
            loop.call_soon_threadsafe(lambda: self.push(reply))
            return
        if after_reply:
            session = self.session
            previous = session.pending_action

            def after(conn) -> None:
                if previous is not None:
                    previous(conn)
                conn.push(reply)

            session.pending_action = after
            return
        encode_into(self.out, reply, self.session.protover)
        pushed = loop.pushed
        if not pushed or pushed[-1] is not self:
            pushed.append(self)
        if not self._writing:
            self._writing = True
            loop.set_write_interest(self, True)

    def _flush_pushed(self) -> None:
        """Write what other connections were pushed before this one's reply (Redis's
        order: a subscriber or tracking client has its frame before the writer has its
        reply), outside the store lock."""
        pushed = self.loop.pushed
        self.loop.pushed = []
        for conn in pushed:
            if conn is not self and conn.out and not conn.closed:
                conn.flush()

    def unblocked(self, reply) -> None:
        """The blocking command is served (or timed out): reply, then run the buffered input.

        Called by the BlockingManager on the loop thread; the loop runs what this
        client pipelined after the blocking command once the current command is done.
        """
        self.blocked = None
        if self.closed:
            return
        self.emit(reply)
        self.loop.resume(self)

    def emit(self, reply) -> None:
        """Append ``reply`` as CLIENT REPLY allows; run a pending action."""
        session = self.session
        # CLIENT REPLY (redis 7.0 resetClient): "off" drops every reply, "skip"
        # drops this one; a SKIP just run makes the next command's reply "skip".
        if session.reply_mode == "on":
            encode_into(self.out, reply, session.protover)
        elif session.reply_mode == "skip":
            session.reply_mode = "on"
        if session.skip_next_reply:
            session.skip_next_reply = False
            session.reply_mode = "skip"
        if session.pending_action is not None:
            action = session.pending_action
            session.pending_action = None
            action(self)

    def flush(self) -> None:
        if self.loop.pushed:
            self._flush_pushed()
        out = self.out
        wrote = bool(out)
        if out:
            try:
                sent = self.sock.send(out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.close()
                return
            if sent:
                del out[:sent]
        if out:
            if not self._writing:
                self._writing = True
                self.loop.set_write_interest(self, True)
        else:
            if self._writing:
                self._writing = False
                self.loop.set_write_interest(self, False)
            if self.session.close_after_reply and wrote:
                # Redis closes once the last reply is written: a QUIT (or protocol
                # error) whose reply CLIENT REPLY OFF dropped leaves the connection
                # open, ignoring input, until the peer closes (redis 7.0.15).
                self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.blocked is not None:
            self.blocked = None
            self.loop.dispatcher.blocking.cancel(self)
        self.loop.forget(self)
        try:
            self.sock.close()
        except OSError:
            pass
