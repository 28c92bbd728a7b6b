%%% commitlog_http_transport: the one place where a connection of commitlog_http is plain TCP
%%% (gen_tcp) or TLS (ssl, for an https ingest), so that the client, its response reader and
%%% its pool do the same for both: connect, send, recv, setopts, close, hand it to another
%%% process, and read what its owner is told while it idles.
%%%
%%% A socket is a gen_tcp socket, or {tls, SslSocket, TcpSocket}: the TLS session over a TCP
%%% socket this module connected itself, so that it can set that socket's options before the
%%% handshake and close it at once.
%%%
%%% Inputs:  connect(Address, Port, Host, Transport, TimeoutMs): the address to connect to, the
%%%          URL's host (a name or an address: the name the ingest's certificate must carry),
%%%          tcp or {tls, commitlog_tls:client()}, and the time for the TCP connect and, for TLS,
%%%          the handshake together (the hook's connect_timeout_ms, cut to its deadline).
%%% Outputs: connect/5 -> {ok, socket()}: binary, passive, nodelay, {linger, {true, 0}}, a send
%%%            timeout of TimeoutMs (send_timeout_close) | {error, connect_failed} (also for a
%%%            handshake that did not finish in time, or an ssl that cannot be started) |
%%%            {error, tls_failed} (commitlog_tls).
%%%          send/2, recv/3, setopts/2, controlling_process/2: as gen_tcp's and ssl's.
%%%          close/1 -> ok, at once, whatever the peer does: the connection is reset and what is
%%%            still unsent is dropped (see connect/5). A TLS socket's TCP socket is closed first,
%%%            then the TLS session (whose own close would send close_notify, shut down and
%%%            wait up to 5 s for the peer to close, in the caller: Riak's put process).
%%%          id/1 -> the term messages to the socket's owner carry; event/1 -> {event, Id} for a
%%%            message about a socket (data, a close or an error, TCP or TLS), none otherwise;
%%%            clean/1 -> true when no such message of that socket was in the mailbox (they are
%%%            removed either way).
%%% Errors:  none raised by connect/5 and close/1; the others return what gen_tcp or ssl do.
-module(commitlog_http_transport).

-export([
    connect/5, send/2, recv/3, setopts/2, close/1, controlling_process/2, id/1, event/1, clean/1
]).

-export_type([socket/0, transport/0]).

-type socket() :: gen_tcp:socket() | {tls, ssl:sslsocket(), gen_tcp:socket()}.
-type transport() :: tcp | {tls, commitlog_tls:client()}.

-spec connect(inet:ip_address(), inet:port_number(), inet:hostname() | inet:ip_address(),
    transport(), pos_integer()) -> {ok, socket()} | {error, connect_failed | tls_failed}.
connect(Address, Port, _Host, tcp, TimeoutMs) ->
    tcp_connect(Address, Port, TimeoutMs);
connect(Address, Port, Host, {tls, Client}, TimeoutMs) ->
    Deadline = now_ms() + TimeoutMs,
    case commitlog_tls:ensure_started() of
        ok ->
            case tcp_connect(Address, Port, TimeoutMs) of
                {ok, Tcp} -> upgrade(Tcp, {Host, Port}, Client, Deadline - now_ms());
                {error, _} = Error -> Error
            end;
        {error, _} ->
            %% As an ingest that cannot be reached: the breaker opens.
            {error, connect_failed}
    end.

-spec send(socket(), iodata()) -> ok | {error, term()}.
send({tls, Ssl, _Tcp}, Data) -> ssl:send(Ssl, Data);
send(Socket, Data) -> gen_tcp:send(Socket, Data).

-spec recv(socket(), non_neg_integer(), timeout()) -> {ok, binary()} | {error, term()}.
recv({tls, Ssl, _Tcp}, Length, TimeoutMs) -> ssl:recv(Ssl, Length, TimeoutMs);
recv(Socket, Length, TimeoutMs) -> gen_tcp:recv(Socket, Length, TimeoutMs).

%% For TLS, ssl applies active itself and hands the socket options (send_timeout, linger) down
%% to the TCP socket.
-spec setopts(socket(), list()) -> ok | {error, term()}.
setopts({tls, Ssl, _Tcp}, Options) -> ssl:setopts(Ssl, Options);
setopts(Socket, Options) -> inet:setopts(Socket, Options).

-spec controlling_process(socket(), pid()) -> ok | {error, term()}.
controlling_process({tls, Ssl, _Tcp}, Pid) -> ssl:controlling_process(Ssl, Pid);
controlling_process(Socket, Pid) -> gen_tcp:controlling_process(Socket, Pid).

%% The TCP socket's linger is 0 from connect/5 on; set again for a socket from elsewhere. A TCP
%% socket under TLS belongs to ssl's connection process: any process may close it, and its
%% linger was set before the handshake.
-spec close(socket()) -> ok.
close({tls, Ssl, Tcp}) ->
    _ = gen_tcp:close(Tcp),
    %% The session's process finds its socket closed: it ends without waiting for anything.
    _ = (catch ssl:close(Ssl)),
    ok;
close(Socket) ->
    _ = inet:setopts(Socket, [{linger, {true, 0}}]),
    _ = gen_tcp:close(Socket),
    ok.

-spec id(socket()) -> term().
id({tls, Ssl, _Tcp}) -> Ssl;
id(Socket) -> Socket.

%% What a socket in {active, once} tells its owner. A server does not talk on an idle HTTP
%% connection: data is as bad as a close.
-spec event(term()) -> {event, term()} | none.
event({tcp, Id, _Data}) -> {event, Id};
event({tcp_closed, Id}) -> {event, Id};
event({tcp_error, Id, _Reason}) -> {event, Id};
event({ssl, Id, _Data}) -> {event, Id};
event({ssl_closed, Id}) -> {event, Id};
event({ssl_error, Id, _Reason}) -> {event, Id};
event(_Other) -> none.

-spec clean(socket()) -> boolean().
clean(Socket) ->
    no_messages(id(Socket), true).

%%% Internal

no_messages(Id, Clean) ->
    receive
        {tcp, Id, _} -> no_messages(Id, false);
        {tcp_closed, Id} -> no_messages(Id, false);
        {tcp_error, Id, _} -> no_messages(Id, false);
        {ssl, Id, _} -> no_messages(Id, false);
        {ssl_closed, Id} -> no_messages(Id, false);
        {ssl_error, Id, _} -> no_messages(Id, false)
    after 0 -> Clean
    end.

%% The handshake gets what the TCP connect left of the connect timeout: connect_timeout_ms
%% bounds both, as it bounded the connect alone for http.
upgrade(Tcp, _Destination, _Client, Left) when Left =< 0 ->
    close(Tcp),
    {error, connect_failed};
upgrade(Tcp, Destination, Client, Left) ->
    case commitlog_tls:handshake(Tcp, Destination, Client, Left) of
        {ok, Ssl} ->
            {ok, {tls, Ssl, Tcp}};
        {error, _} = Error ->
            close(Tcp),
            Error
    end.

%% {linger, {true, 0}}: a close, by the caller or by the pool, discards what is still unsent and
%% resets the connection at once. Without it gen_tcp:close/1 waits for the driver's queue of
%% unsent bytes to drain, 5 s when the ingest reads nothing and up to 3 min when it reads slowly,
%% in Riak's put process (send_timeout bounds a send, not a close). A reset also keeps the
%% kernel from delivering the rest of a request the hook has given up on (and written to the
%% failure log) after it gave up. A connection is closed only after an error or a complete
%% response: there is never a request on it that still needs to arrive.
tcp_connect(Address, Port, TimeoutMs) ->
    Options = family(Address) ++ [
        binary,
        {active, false},
        {packet, raw},
        {nodelay, true},
        {send_timeout, TimeoutMs},
        {send_timeout_close, true},
        {linger, {true, 0}}
    ],
    try gen_tcp:connect(Address, Port, Options, TimeoutMs) of
        {ok, Socket} -> {ok, Socket};
        {error, _} -> {error, connect_failed}
    catch
        _:_ -> {error, connect_failed}
    end.

family(Address) when tuple_size(Address) =:= 8 -> [inet6];
family(_Address) -> [].

now_ms() ->
    erlang:monotonic_time(millisecond).
