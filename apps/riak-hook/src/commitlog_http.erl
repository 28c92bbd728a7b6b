%%% commitlog_http: a minimal HTTP/1.1 client for the hook's one request (a POST to the ingest),
%%% over plain TCP or, for an https URL, TLS (commitlog_http_transport; commitlog_tls verifies
%%% the ingest's certificate). It sends each request exactly once per call and never retries,
%%% redirects or re-sends on its own; it keeps no process and leaves nothing behind in the
%%% caller's mailbox (passive sockets only). Kept-alive connections are held between calls by
%%% commitlog_http_pool; the response is read by commitlog_http_response, the URL parsed by
%%% commitlog_http_url.
%%%
%%% `http://host[:port][/path-prefix]` and `https://host[:port][/path-prefix]` URLs: any other
%%% scheme, user info, a query or a fragment is {error, unsupported_url} from parse_url/1, and
%%% the hook writes such commits to its failure log with that reason. A host name is resolved on
%%% every new connection (IPv4 only), in a separate process bounded by the connect timeout (a
%%% slow DNS cannot hold the caller past it; the lookup then fails as connect_failed); pooled
%%% connections need no lookup. An IP address (IPv6 in brackets) avoids the lookup altogether.
%%%
%%% Inputs:  parse_url(Url): a string or binary.
%%%          post(Url, Path, Headers, Body, #{timeout := Ms, connect_timeout := Ms, tls := Client}):
%%%          a parsed URL, the request path (iodata, e.g. <<"/v1/commits">>), extra request
%%%          headers [{Name, Value}] (iodata; the caller's own, e.g. Content-Type), the body
%%%          (iodata). `timeout` bounds the whole call: checkout or connect, send and the full
%%%          response; `connect_timeout` bounds the host name lookup, the TCP connect and, for
%%%          https, the TLS handshake within it. `tls` (commitlog_tls:client/1) is needed for an
%%%          https URL only: the CA certificates to verify the ingest with.
%%% Outputs: parse_url/1 -> {ok, url()} | {error, unsupported_url}.
%%%          post/5 -> {ok, Status, RespHeaders, RespBody}: RespHeaders [{Name, Value}] binaries,
%%%            names lowercased, in arrival order; RespBody a binary (Content-Length, chunked, or
%%%            up to the server's close when it sends neither).
%%%          The request carries Host, the caller's headers, Content-Length and
%%%          Connection: keep-alive, in one write.
%%% Errors:  post/5 raises nothing for network or HTTP trouble; it returns {error, Reason}:
%%%            connect_failed     no connection (refused, unreachable, DNS, connect timeout; for
%%%                               https also a handshake not done within the connect timeout)
%%%            tls_failed         https: the TLS handshake failed (a certificate that does not
%%%                               verify or is not for the URL's host, no common TLS version, a
%%%                               server that does not speak TLS); logged by commitlog_tls
%%%            timeout            the call's deadline passed while sending or reading
%%%            connection_closed  the server closed or reset the connection before the whole
%%%                               response arrived (after a part of it, or on a fresh connection)
%%%            http_error         a response this client cannot read: a bad status line or header,
%%%                               a bad or unsupported framing, a head over 64 KiB in total or
%%%                               over 100 header lines, a body over 1 MiB
%%% Connections: a socket is taken from commitlog_http_pool when it holds one for the
%%% destination (host and port; for https also where its CA certificates came from, so that a
%%% connection verified with another CA is never reused), else connected anew. It goes back to
%%% the pool only after a complete response that lets it be kept (HTTP/1.1 without Connection:
%%% close, or HTTP/1.0 with keep-alive, framed by Content-Length or chunked, nothing after it);
%%% on any error, a timeout, a partial read, Connection: close, or an exception raised while it
%%% is in use (a bug; post/5 closes the socket, then raises it on) it is closed, at once: a
%%% close resets the connection and drops what is still unsent, it never waits for a peer that
%%% does not read (commitlog_http_transport:close/1, for TLS too). A pooled socket that the
%%% server closed while it was idle fails before any byte of the response: the request is then
%%% sent once more, at once, on a fresh connection, inside the same call and deadline (safe:
%%% nothing was answered, and the ingest is idempotent by commit id). That is the only case a
%%% request is sent twice.
%%%
%%% Needs OTP 24+ (commitlog_http_pool uses process aliases); built and tested on OTP 25.
-module(commitlog_http).

-export([parse_url/1, post/5]).
%% Internal, for tests.
-export([resolve/3]).

-ifdef(TEST).
-export([post/6]).
-endif.

-export_type([url/0, reason/0]).

-type url() :: commitlog_http_url:url().
-type reason() :: connect_failed | tls_failed | timeout | connection_closed | http_error.
%% checkout_timeout: how long a caller waits for the pool before it connects by itself
%% (default 5 ms: the hook runs in Riak's put process, and a busy pool must not hold it).
-type options() :: #{
    timeout := pos_integer(),
    connect_timeout := pos_integer(),
    checkout_timeout => non_neg_integer(),
    tls => commitlog_tls:client()
}.

-define(CHECKOUT_TIMEOUT_MS, 5).

%%% API

-spec parse_url(string() | binary()) -> {ok, url()} | {error, unsupported_url}.
parse_url(Url) ->
    commitlog_http_url:parse(Url).

-spec post(url(), iodata(), [{iodata(), iodata()}], iodata(), options()) ->
    {ok, 100..999, [{binary(), binary()}], binary()} | {error, reason()}.
post(Url, Path, Headers, Body, Opts) ->
    post(Url, Path, Headers, Body, Opts, fun commitlog_http_response:read/2).

%% Read: how the response is read, commitlog_http_response:read/2 (in tests, one that raises).
post(Url, Path, Headers, Body, Opts, Read) ->
    #{timeout := Timeout, connect_timeout := ConnectTimeout} = Opts,
    #{host_header := HostHeader, path_prefix := Prefix} = Url,
    Deadline = commitlog_http_response:now_ms() + Timeout,
    Request = request([Prefix, Path], HostHeader, Headers, Body),
    CheckoutTimeout = maps:get(checkout_timeout, Opts, ?CHECKOUT_TIMEOUT_MS),
    Transport = transport(Url, Opts),
    Key = pool_key(Url, Transport),
    Fresh = fun() -> fresh(Url, Transport, Key, Request, ConnectTimeout, Deadline, Read) end,
    case commitlog_http_pool:checkout(Key, min(CheckoutTimeout, Timeout)) of
        {ok, Socket} ->
            case exchange(Socket, Request, Deadline, Read) of
                {error, {before_response, Reason}} ->
                    %% Stale: the server closed it while it was idle. One fresh try, same deadline.
                    close(Socket),
                    case commitlog_http_response:remaining(Deadline) of
                        0 -> {error, Reason};
                        _ -> Fresh()
                    end;
                Result ->
                    finish(Key, Socket, Result)
            end;
        none ->
            Fresh()
    end.

%%% Internal: one request

request(Path, HostHeader, Headers, Body) ->
    [
        <<"POST ">>, Path, <<" HTTP/1.1\r\nHost: ">>, HostHeader, <<"\r\n">>,
        [[Name, <<": ">>, Value, <<"\r\n">>] || {Name, Value} <- Headers],
        <<"Content-Length: ">>, integer_to_binary(iolist_size(Body)),
        <<"\r\nConnection: keep-alive\r\n\r\n">>,
        Body
    ].

%% An https URL is spoken to over TLS with the CA certificates the caller looked up; an https
%% URL without them is a bug of the caller, raised (the hook writes the commit to its failure
%% log as a crash), never a plain connection.
transport(#{scheme := http}, _Opts) -> tcp;
transport(#{scheme := https}, #{tls := Client}) -> {tls, Client};
transport(#{scheme := https}, _Opts) -> erlang:error({badarg, no_tls_client}).

%% Plain connections by host and port, as before; TLS ones also by where their CA certificates
%% came from: a connection verified with a CA that is no longer configured is not reused.
pool_key(#{host := Host, port := Port}, tcp) -> {Host, Port};
pool_key(#{host := Host, port := Port}, {tls, #{source := Source}}) -> {Host, Port, Source}.

fresh(#{host := Host, port := Port}, Transport, Key, Request, ConnectTimeout, Deadline, Read) ->
    case connect(Host, Port, Transport, ConnectTimeout, Deadline) of
        {ok, Socket} ->
            Result =
                case exchange(Socket, Request, Deadline, Read) of
                    {error, {before_response, Reason}} -> {error, Reason};
                    Other -> Other
                end,
            finish(Key, Socket, Result);
        {error, _} = Error ->
            Error
    end.

%% The lookup of a host name, the TCP connect and the TLS handshake share one timeout:
%% min(connect_timeout, what the call's deadline leaves). gen_tcp:connect/4's own timeout does
%% not cover the lookup (nor does the native resolver's timeout bound it usefully), so a host
%% name is resolved first, in a process of its own that the caller stops waiting for
%% (resolve/3).
connect(Host, Port, Transport, ConnectTimeout, Deadline) ->
    case min(ConnectTimeout, commitlog_http_response:remaining(Deadline)) of
        0 ->
            {error, connect_failed};
        Timeout ->
            ConnectDeadline = commitlog_http_response:now_ms() + Timeout,
            case resolve(Host, Timeout) of
                {ok, Address} ->
                    case commitlog_http_response:remaining(ConnectDeadline) of
                        0 -> {error, connect_failed};
                        Left -> commitlog_http_transport:connect(Address, Port, Host, Transport, Left)
                    end;
                {error, _} ->
                    {error, connect_failed}
            end
    end.

%% An IPv4 address for Host within TimeoutMs, with inet:getaddr(Host, inet).
-spec resolve(inet:hostname() | inet:ip_address(), non_neg_integer()) ->
    {ok, inet:ip_address()} | {error, timeout | term()}.
resolve(Host, TimeoutMs) ->
    resolve(Host, TimeoutMs, fun(H) -> inet:getaddr(H, inet) end).

%% Internal, exported for tests (LookupFun stands in for inet:getaddr/2). An IP address (a tuple
%% or its text) is returned as it is, without a lookup. A host name is looked up by
%% LookupFun(Host) in a monitored process of its own, which exits with the answer; the caller
%% waits at most TimeoutMs for it, then kills it and answers {error, timeout}. Nothing is left in
%% the caller's mailbox either way (the 'DOWN' is received or flushed), and no link ties the two.
%% A LookupFun that raises answers {error, nxdomain}.
-spec resolve(inet:hostname() | inet:ip_address(), non_neg_integer(), fun((string()) -> term())) ->
    {ok, inet:ip_address()} | {error, timeout | term()}.
resolve(Host, _TimeoutMs, _LookupFun) when is_tuple(Host) ->
    {ok, Host};
resolve(Host, TimeoutMs, LookupFun) ->
    case inet:parse_address(Host) of
        {ok, Address} ->
            {ok, Address};
        {error, _NotAnAddress} ->
            Lookup = fun() ->
                Answer =
                    try
                        LookupFun(Host)
                    catch
                        _:_ -> {error, nxdomain}
                    end,
                exit({resolved, Answer})
            end,
            {Pid, Ref} = spawn_monitor(Lookup),
            receive
                {'DOWN', Ref, process, Pid, {resolved, {ok, Address}}} -> {ok, Address};
                {'DOWN', Ref, process, Pid, {resolved, {error, _} = Error}} -> Error;
                %% Killed, or an answer of another shape.
                {'DOWN', Ref, process, Pid, _Other} -> {error, nxdomain}
            after TimeoutMs ->
                erlang:demonitor(Ref, [flush]),
                exit(Pid, kill),
                {error, timeout}
            end
    end.

%% Hands a socket whose response was read whole back to the pool, or closes it.
finish(Key, Socket, {ok, Status, Headers, Body, KeepAlive}) ->
    case KeepAlive of
        true -> commitlog_http_pool:checkin(Key, Socket);
        false -> close(Socket)
    end,
    {ok, Status, Headers, Body};
finish(_Key, Socket, {error, Reason}) ->
    close(Socket),
    {error, Reason}.

close(Socket) ->
    commitlog_http_transport:close(Socket).

%% Sends the request and reads the response. {error, {before_response, Reason}} when it failed
%% before a single byte of the response came (other than by the deadline). An exception raised
%% meanwhile closes the socket before it goes on: it left the connection in a state nobody knows
%% (a request half sent, a response half read), and the caller, which catches it (commitlog_hook
%% writes the commit to the failure log and Riak's put goes on), has no socket to close: it was
%% left open, a port held in Riak's VM for as long as the put process lived.
exchange(Socket, Request, Deadline, Read) ->
    try
        send_and_read(Socket, Request, Deadline, Read)
    catch
        Class:Reason:Stack ->
            close(Socket),
            erlang:raise(Class, Reason, Stack)
    end.

send_and_read(Socket, Request, Deadline, Read) ->
    case commitlog_http_response:remaining(Deadline) of
        0 ->
            {error, timeout};
        Left ->
            Sent =
                case commitlog_http_transport:setopts(Socket, [{send_timeout, Left}]) of
                    ok -> commitlog_http_transport:send(Socket, Request);
                    {error, _} = E -> E
                end,
            case Sent of
                ok -> Read(Socket, Deadline);
                {error, timeout} -> {error, timeout};
                {error, _} -> {error, {before_response, connection_closed}}
            end
    end.
