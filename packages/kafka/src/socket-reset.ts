import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * Why a connection the producer gives up on is reset (RST), never closed (FIN): a close leaves
 * the produce bytes the broker has not acknowledged in the kernel's send buffer, and the kernel
 * goes on retransmitting them for minutes. Once a network blackhole heals they can reach the broker
 * on that old connection after the newer records of the same key went over a new one, and be
 * appended after them. A reset drops them. Both producers reset the connections of a client they give up on with this.
 */
const beingReset = new WeakSet<Socket>();

/** Whether `resetSocket` has taken this socket. */
export function isBeingReset(socket: Socket): boolean {
  return beingReset.has(socket);
}

/** Resets a socket, dropping what it has not delivered; does nothing to one already destroyed. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed || beingReset.has(socket)) return;
  beingReset.add(socket);
  // The client stops listening for its socket's errors when it closes the connection; a reset
  // one reporting something after that must not crash the worker.
  socket.on('error', () => undefined);
  if (shutdownUnderWay(socket)) {
    // libuv refuses to reset a socket while its FIN waits to go out, and Node would then leave
    // it open without a 'close' event; its bytes are all in the kernel anyway.
    socket.destroy();
  } else if (socket instanceof TLSSocket) {
    closeTcpWithReset(socket);
    socket.destroy();
  } else {
    socket.resetAndDestroy();
  }
}

function shutdownUnderWay(socket: Socket): boolean {
  return (
    socket.writableEnded &&
    !socket.writableFinished &&
    socket.writableLength === 0 &&
    !socket.pending
  );
}

interface TcpHandle {
  close(onClose?: () => void): void;
  reset(onClose?: () => void): number;
}

/**
 * Node internals, checked on Node 24.21.0: Node resets only a plain TCP socket (`resetAndDestroy`
 * throws ERR_INVALID_HANDLE_TYPE on a TLS socket, whose handle is a TLS wrap), so the TCP handle
 * under the wrap (its `_parent`, which the wrap closes when the socket is destroyed) is made to
 * close with a reset. Where the internals are not as expected the socket is closed as before.
 */
function closeTcpWithReset(socket: TLSSocket): void {
  const tcp = (socket as unknown as { _handle?: { _parent?: Partial<TcpHandle> } })._handle
    ?._parent;
  if (typeof tcp?.reset !== 'function' || typeof tcp.close !== 'function') return;
  const reset = tcp.reset.bind(tcp);
  tcp.close = (onClose) => {
    reset(onClose);
  };
}
