%%% commitlog_http: a minimal HTTP/1.1 client over gen_tcp, for the hook's one request (a POST to
%%% the ingest). It sends each request exactly once per call and never retries, redirects or
%%% re-sends on its own; it keeps no process and leaves nothing behind in the caller's mailbox
%%% (passive sockets only). Kept-alive connections are held between calls by
%%% commitlog_http_pool.
%%%
%%% Only plain `http://host[:port][/path-prefix]` URLs. `https` is NOT supported (it would need
%%% ssl, which a Riak node need not run): parse_url/1 answers {error, unsupported_url} for it, as
%%% for any URL with user info, a query or a fragment, and the hook writes such commits to its
%%% failure log with that reason. A host name is resolved on every new connection (IPv4 only),
%%% in a separate process bounded by the connect timeout (a slow DNS cannot hold the caller past
%%% it; the lookup then fails as connect_failed); pooled connections need no lookup. An IP
%%% address (IPv6 in brackets) avoids the lookup altogether.
%%%
%%% Inputs:  parse_url(Url): a string or binary.
%%%          post(Url, Path, Headers, Body, #{timeout := Ms, connect_timeout := Ms}): a parsed
%%%          URL, the request path (iodata, e.g. <<"/v1/commits">>), extra request headers
%%%          [{Name, Value}] (iodata; the caller's own, e.g. Content-Type), the body (iodata).
%%%          `timeout` bounds the whole call: checkout or connect, send and the full response;
%%%          `connect_timeout` bounds the host name lookup and the TCP connect within it.
%%% Outputs: parse_url/1 -> {ok, url()} | {error, unsupported_url}.
%%%          post/5 -> {ok, Status, RespHeaders, RespBody}: RespHeaders [{Name, Value}] binaries,
%%%            names lowercased, in arrival order; RespBody a binary (Content-Length, chunked, or
%%%            up to the server's close when it sends neither).
%%%          The request carries Host, the caller's headers, Content-Length and
%%%          Connection: keep-alive, in one write.
%%% Errors:  post/5 raises nothing for network or HTTP trouble; it returns {error, Reason}:
%%%            connect_failed     no TCP connection (refused, unreachable, DNS, connect timeout)
%%%            timeout            the call's deadline passed while sending or reading
%%%            connection_closed  the server closed or reset the connection before the whole
%%%                               response arrived (after a part of it, or on a fresh connection)
%%%            http_error         a response this client cannot read: a bad status line or header,
%%%                               a bad or unsupported framing, a head over 64 KiB or a body over
%%%                               1 MiB
%%% Connections: a socket is taken from commitlog_http_pool when it holds one for the host and
%%% port, else connected anew. It goes back to the pool only after a complete response that
%%% lets it be kept (HTTP/1.1 without Connection: close, or HTTP/1.0 with keep-alive, framed by
%%% Content-Length or chunked, nothing after it); on any error, a timeout, a partial read or
%%% Connection: close it is closed. A pooled socket that the server closed while it was idle
%%% fails before any byte of the response: the request is then sent once more, at once, on a
%%% fresh connection, inside the same call and deadline (safe: nothing was answered, and the
%%% ingest is idempotent by commit id). That is the only case a request is sent twice.
%%%
%%% Needs OTP 24+ (commitlog_http_pool uses process aliases); built and tested on OTP 25.
-module(commitlog_http).

-export([parse_url/1, post/5]).
%% Internal, for tests.
-export([resolve/3]).

-export_type([url/0, reason/0]).

-type url() :: #{
    host := inet:hostname() | inet:ip_address(),
    port := inet:port_number(),
    %% The Host header's value: host[:port], IPv6 in brackets.
    host_header := binary(),
    %% The URL's path without its trailing slashes (<<>> for none): requests go to Prefix ++ Path.
    path_prefix := binary()
}.
-type reason() :: connect_failed | timeout | connection_closed | http_error.
-type options() :: #{timeout := pos_integer(), connect_timeout := pos_integer()}.

%% How long a caller waits for the pool before it connects by itself.
-define(CHECKOUT_TIMEOUT_MS, 5).
-define(MAX_HEAD_BYTES, 65536).
-define(MAX_HEADERS, 100).
-define(MAX_BODY_BYTES, 1048576).
-define(MAX_CHUNK_LINE_BYTES, 4096).

%%% API

-spec parse_url(string() | binary()) -> {ok, url()} | {error, unsupported_url}.
parse_url(Url) ->
    try uri_string:parse(iolist_to_binary(Url)) of
        #{scheme := Scheme, host := Host} = U when Host =/= <<>> ->
            NoExtras =
                not maps:is_key(userinfo, U) andalso not maps:is_key(query, U) andalso
                    not maps:is_key(fragment, U),
            Port = maps:get(port, U, undefined),
            Path = maps:get(path, U, <<>>),
            case string:lowercase(Scheme) of
                <<"http">> when NoExtras -> url(Host, Port, Path);
                _ -> {error, unsupported_url}
            end;
        _ ->
            {error, unsupported_url}
    catch
        _:_ -> {error, unsupported_url}
    end.

-spec post(url(), iodata(), [{iodata(), iodata()}], iodata(), options()) ->
    {ok, 100..999, [{binary(), binary()}], binary()} | {error, reason()}.
post(Url, Path, Headers, Body, #{timeout := Timeout, connect_timeout := ConnectTimeout}) ->
    #{host := Host, port := Port, host_header := HostHeader, path_prefix := Prefix} = Url,
    Deadline = now_ms() + Timeout,
    Request = request([Prefix, Path], HostHeader, Headers, Body),
    case commitlog_http_pool:checkout(Host, Port, min(?CHECKOUT_TIMEOUT_MS, Timeout)) of
        {ok, Socket} ->
            case exchange(Socket, Request, Deadline) of
                {error, {before_response, Reason}} ->
                    %% Stale: the server closed it while it was idle. One fresh try, same deadline.
                    close(Socket),
                    case remaining(Deadline) of
                        0 -> {error, Reason};
                        _ -> fresh(Url, Request, ConnectTimeout, Deadline)
                    end;
                Result ->
                    finish(Url, Socket, Result)
            end;
        none ->
            fresh(Url, Request, ConnectTimeout, Deadline)
    end.

%%% Internal: URL

url(Host, Port0, Path) ->
    Port =
        case Port0 of
            undefined -> 80;
            _ -> Port0
        end,
    HostString = binary_to_list(Host),
    {Address, HostPart} =
        case inet:parse_address(HostString) of
            {ok, IP} when tuple_size(IP) =:= 8 -> {IP, <<"[", Host/binary, "]">>};
            {ok, IP} -> {IP, Host};
            {error, einval} -> {HostString, Host}
        end,
    HostHeader =
        case Port of
            80 -> HostPart;
            _ -> <<HostPart/binary, ":", (integer_to_binary(Port))/binary>>
        end,
    case is_integer(Port) andalso Port > 0 andalso Port =< 65535 andalso valid_path(Path) of
        true ->
            {ok, #{
                host => Address,
                port => Port,
                host_header => HostHeader,
                path_prefix => trim_slashes(Path)
            }};
        false ->
            {error, unsupported_url}
    end.

valid_path(<<>>) -> true;
valid_path(<<"/", _/binary>>) -> true;
valid_path(_) -> false.

trim_slashes(<<>>) ->
    <<>>;
trim_slashes(Path) ->
    Size = byte_size(Path) - 1,
    case Path of
        <<Init:Size/binary, "/">> -> trim_slashes(Init);
        _ -> Path
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

fresh(#{host := Host, port := Port} = Url, Request, ConnectTimeout, Deadline) ->
    case connect(Host, Port, ConnectTimeout, Deadline) of
        {ok, Socket} ->
            Result =
                case exchange(Socket, Request, Deadline) of
                    {error, {before_response, Reason}} -> {error, Reason};
                    Other -> Other
                end,
            finish(Url, Socket, Result);
        {error, _} = Error ->
            Error
    end.

%% The lookup of a host name and the TCP connect share one timeout: min(connect_timeout, what
%% the call's deadline leaves). gen_tcp:connect/4's own timeout does not cover the lookup (nor
%% does the native resolver's timeout bound it usefully), so a host name is resolved first, in a
%% process of its own that the caller stops waiting for (resolve/3).
connect(Host, Port, ConnectTimeout, Deadline) ->
    case min(ConnectTimeout, remaining(Deadline)) of
        0 ->
            {error, connect_failed};
        Timeout ->
            ConnectDeadline = now_ms() + Timeout,
            case resolve(Host, Timeout) of
                {ok, Address} ->
                    case remaining(ConnectDeadline) of
                        0 -> {error, connect_failed};
                        Left -> connect_address(Address, Port, Left)
                    end;
                {error, _} ->
                    {error, connect_failed}
            end
    end.

connect_address(Address, Port, Timeout) ->
    Options = family(Address) ++ [
        binary,
        {active, false},
        {packet, raw},
        {nodelay, true},
        {send_timeout, Timeout},
        {send_timeout_close, true}
    ],
    try gen_tcp:connect(Address, Port, Options, Timeout) of
        {ok, Socket} -> {ok, Socket};
        {error, _} -> {error, connect_failed}
    catch
        _:_ -> {error, connect_failed}
    end.

family(Host) when is_tuple(Host), tuple_size(Host) =:= 8 -> [inet6];
family(_Host) -> [].

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
finish(#{host := Host, port := Port}, Socket, {ok, Status, Headers, Body, KeepAlive}) ->
    case KeepAlive of
        true -> commitlog_http_pool:checkin(Host, Port, Socket);
        false -> close(Socket)
    end,
    {ok, Status, Headers, Body};
finish(_Url, Socket, {error, Reason}) ->
    close(Socket),
    {error, Reason}.

close(Socket) ->
    _ = gen_tcp:close(Socket),
    ok.

%% Sends the request and reads the response. {error, {before_response, Reason}} when it failed
%% before a single byte of the response came (other than by the deadline).
exchange(Socket, Request, Deadline) ->
    case remaining(Deadline) of
        0 ->
            {error, timeout};
        Left ->
            Sent =
                case inet:setopts(Socket, [{send_timeout, Left}]) of
                    ok -> gen_tcp:send(Socket, Request);
                    {error, _} = E -> E
                end,
            case Sent of
                ok -> read_response(Socket, Deadline);
                {error, timeout} -> {error, timeout};
                {error, _} -> {error, {before_response, connection_closed}}
            end
    end.

%%% Internal: the response

read_response(Socket, Deadline) ->
    case recv(Socket, 0, Deadline) of
        {ok, Data} -> status_line(Socket, Data, Deadline);
        {error, timeout} -> {error, timeout};
        {error, _Closed} -> {error, {before_response, connection_closed}}
    end.

status_line(Socket, Buf, Deadline) ->
    case erlang:decode_packet(http_bin, Buf, []) of
        {ok, {http_response, _Vsn, Status, _}, Rest} when
            Status >= 100, Status < 200, Status =/= 101
        ->
            %% An interim response (100 Continue, 103 Early Hints): skip it and its headers.
            case headers(Socket, Rest, Deadline, []) of
                {ok, _Interim, After} -> status_line(Socket, After, Deadline);
                Error -> Error
            end;
        {ok, {http_response, Vsn, Status, _}, Rest} when Status >= 200, Status =< 999 ->
            case headers(Socket, Rest, Deadline, []) of
                {ok, Headers, After} -> body(Socket, Vsn, Status, Headers, After, Deadline);
                Error -> Error
            end;
        {more, _} when byte_size(Buf) > ?MAX_HEAD_BYTES ->
            {error, http_error};
        {more, _} ->
            more(Socket, Buf, Deadline, fun(B) -> status_line(Socket, B, Deadline) end);
        _Other ->
            {error, http_error}
    end.

headers(_Socket, _Buf, _Deadline, Acc) when length(Acc) > ?MAX_HEADERS ->
    {error, http_error};
headers(Socket, Buf, Deadline, Acc) ->
    case erlang:decode_packet(httph_bin, Buf, []) of
        {ok, {http_header, _, _Known, Name, Value}, Rest} ->
            Header = {string:lowercase(Name), string:trim(Value, trailing)},
            headers(Socket, Rest, Deadline, [Header | Acc]);
        {ok, http_eoh, Rest} ->
            {ok, lists:reverse(Acc), Rest};
        {more, _} when byte_size(Buf) > ?MAX_HEAD_BYTES ->
            {error, http_error};
        {more, _} ->
            more(Socket, Buf, Deadline, fun(B) -> headers(Socket, B, Deadline, Acc) end);
        _Other ->
            {error, http_error}
    end.

body(Socket, Vsn, Status, Headers, Buf, Deadline) ->
    Read =
        case framing(Status, Headers) of
            none -> {ok, <<>>, Buf};
            {length, N} when N > ?MAX_BODY_BYTES -> {error, http_error};
            {length, N} -> exactly(Socket, Buf, N, Deadline);
            chunked -> chunks(Socket, Buf, Deadline, [], 0);
            to_close -> to_close(Socket, Buf, Deadline);
            invalid -> {error, http_error}
        end,
    case Read of
        {ok, Body, Rest} ->
            KeepAlive = Rest =:= <<>> andalso keep_alive(Vsn, Headers),
            {ok, Status, Headers, Body, KeepAlive};
        {ok, Body} ->
            {ok, Status, Headers, Body, false};
        {error, _} = Error ->
            Error
    end.

%% RFC 9112, 6.3: what delimits the body of a response to a POST.
framing(Status, _Headers) when Status =:= 204; Status =:= 304 ->
    none;
framing(_Status, Headers) ->
    case values(<<"transfer-encoding">>, Headers) of
        [] ->
            case lists:usort(values(<<"content-length">>, Headers)) of
                [] -> to_close;
                [Length] -> content_length(Length);
                _Conflicting -> invalid
            end;
        Encodings ->
            %% Chunked must be the last coding; any other coding is one this client cannot undo.
            case tokens(Encodings) of
                [<<"chunked">>] -> chunked;
                _ -> invalid
            end
    end.

content_length(Value) ->
    case Value =/= <<>> andalso is_digits(Value) of
        true -> {length, binary_to_integer(Value)};
        false -> invalid
    end.

keep_alive(Vsn, Headers) ->
    Tokens = tokens(values(<<"connection">>, Headers)),
    case lists:member(<<"close">>, Tokens) of
        true -> false;
        false -> Vsn =:= {1, 1} orelse lists:member(<<"keep-alive">>, Tokens)
    end.

values(Name, Headers) ->
    [V || {N, V} <- Headers, N =:= Name].

%% The comma-separated tokens of every value given, lowercased, empty ones left out.
tokens(Values) ->
    [
        string:lowercase(Token)
     || V <- Values,
        T <- binary:split(V, <<",">>, [global]),
        Token <- [string:trim(T)],
        Token =/= <<>>
    ].

is_digits(Bin) ->
    lists:all(fun(C) -> C >= $0 andalso C =< $9 end, binary_to_list(Bin)).

%% {ok, The first N bytes, What follows}.
exactly(_Socket, Buf, N, _Deadline) when byte_size(Buf) >= N ->
    <<Data:N/binary, Rest/binary>> = Buf,
    {ok, Data, Rest};
exactly(Socket, Buf, N, Deadline) ->
    case recv(Socket, N - byte_size(Buf), Deadline) of
        {ok, Data} -> {ok, <<Buf/binary, Data/binary>>, <<>>};
        {error, Reason} -> {error, reason(Reason)}
    end.

chunks(Socket, Buf, Deadline, Acc, Size) ->
    case line(Socket, Buf, Deadline) of
        {ok, Line, Rest} ->
            [SizeField | _Extensions] = binary:split(Line, <<";">>),
            case hex(string:trim(SizeField, both, " \t")) of
                {ok, 0} ->
                    case trailers(Socket, Rest, Deadline) of
                        {ok, After} -> {ok, iolist_to_binary(lists:reverse(Acc)), After};
                        Error -> Error
                    end;
                {ok, N} when Size + N > ?MAX_BODY_BYTES ->
                    {error, http_error};
                {ok, N} ->
                    case exactly(Socket, Rest, N + 2, Deadline) of
                        {ok, <<Data:N/binary, "\r\n">>, After} ->
                            chunks(Socket, After, Deadline, [Data | Acc], Size + N);
                        {ok, _NoCrlf, _} ->
                            {error, http_error};
                        Error ->
                            Error
                    end;
                error ->
                    {error, http_error}
            end;
        Error ->
            Error
    end.

trailers(Socket, Buf, Deadline) ->
    case line(Socket, Buf, Deadline) of
        {ok, <<>>, Rest} -> {ok, Rest};
        {ok, _Trailer, Rest} -> trailers(Socket, Rest, Deadline);
        Error -> Error
    end.

%% {ok, Line without its CRLF, What follows}.
line(Socket, Buf, Deadline) ->
    case binary:split(Buf, <<"\r\n">>) of
        [Line, Rest] ->
            {ok, Line, Rest};
        [_NoCrlf] when byte_size(Buf) > ?MAX_CHUNK_LINE_BYTES ->
            {error, http_error};
        [_NoCrlf] ->
            more(Socket, Buf, Deadline, fun(B) -> line(Socket, B, Deadline) end)
    end.

hex(<<>>) ->
    error;
hex(Field) when byte_size(Field) > 8 ->
    error;
hex(Field) ->
    IsHex = fun(C) -> (C >= $0 andalso C =< $9) orelse (C >= $a andalso C =< $f) orelse
        (C >= $A andalso C =< $F) end,
    case lists:all(IsHex, binary_to_list(Field)) of
        true -> {ok, binary_to_integer(Field, 16)};
        false -> error
    end.

%% A body delimited by the server's close: {ok, Body}, and the socket is not reusable.
to_close(_Socket, Buf, _Deadline) when byte_size(Buf) > ?MAX_BODY_BYTES ->
    {error, http_error};
to_close(Socket, Buf, Deadline) ->
    case recv(Socket, 0, Deadline) of
        {ok, Data} -> to_close(Socket, <<Buf/binary, Data/binary>>, Deadline);
        {error, closed} -> {ok, Buf};
        {error, Reason} -> {error, reason(Reason)}
    end.

%% Reads more and goes on with Next(Buffer).
more(Socket, Buf, Deadline, Next) ->
    case recv(Socket, 0, Deadline) of
        {ok, Data} -> Next(<<Buf/binary, Data/binary>>);
        {error, Reason} -> {error, reason(Reason)}
    end.

recv(Socket, Length, Deadline) ->
    case remaining(Deadline) of
        0 -> {error, timeout};
        Left -> gen_tcp:recv(Socket, Length, Left)
    end.

reason(timeout) -> timeout;
%% closed, econnreset, epipe, etimedout, ...
reason(_Posix) -> connection_closed.

remaining(Deadline) ->
    max(0, Deadline - now_ms()).

now_ms() ->
    erlang:monotonic_time(millisecond).
