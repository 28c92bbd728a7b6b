%%% commitlog_http_response: reads one HTTP/1.1 response from a passive socket, for
%%% commitlog_http, within a deadline.
%%%
%%% Inputs:  read(Socket, Deadline): a passive commitlog_http_transport socket (TCP or TLS) the
%%%          request was just written to, and the deadline in erlang:monotonic_time(millisecond)
%%%          (see now_ms/0).
%%% Outputs: read/2 -> {ok, Status, Headers, Body, KeepAlive}: Headers [{Name, Value}] binaries,
%%%            names lowercased; Body by Content-Length, chunked, or up to the server's close;
%%%            KeepAlive says whether the connection may carry another request.
%%%          remaining(Deadline) -> milliseconds left (0 when past); now_ms() -> the clock.
%%% Errors:  {error, timeout} when the deadline passes; {error, {before_response, connection_closed}}
%%%          when the server closed before the first byte; {error, connection_closed} after part of
%%%          the response; {error, http_error} for a response it cannot read (a bad status line or
%%%          header, a bad or unsupported framing, a head over 64 KiB in total (status line and
%%%          header lines, interim responses' included) or over 100 header lines, a body over
%%%          1 MiB).
-module(commitlog_http_response).

-export([read/2, remaining/1, now_ms/0]).

%% The response's head in total: its status line and header lines, with those of the interim
%% responses before it, CRLFs included. A cap per line (which this was) let a head of 100 lines
%% just under it make the hook hold 6.4 MB for one response, in Riak's put process.
-define(MAX_HEAD_BYTES, 65536).
-define(MAX_HEADERS, 100).
-define(MAX_BODY_BYTES, 1048576).
-define(MAX_CHUNK_LINE_BYTES, 4096).

read(Socket, Deadline) ->
    case recv(Socket, 0, Deadline) of
        {ok, Data} -> status_line(Socket, Data, Deadline, ?MAX_HEAD_BYTES);
        {error, timeout} -> {error, timeout};
        {error, _Closed} -> {error, {before_response, connection_closed}}
    end.

%% Left: what is left of MAX_HEAD_BYTES for the rest of the head, from the start of Buf.
status_line(Socket, Buf, Deadline, Left) ->
    case erlang:decode_packet(http_bin, Buf, []) of
        {ok, {http_response, _Vsn, Status, _}, Rest} when
            Status >= 100, Status < 200, Status =/= 101
        ->
            %% An interim response (100 Continue, 103 Early Hints): skip it and its headers.
            case headers(Socket, Rest, Deadline, [], left(Left, Buf, Rest)) of
                {ok, _Interim, After, Left1} -> status_line(Socket, After, Deadline, Left1);
                Error -> Error
            end;
        {ok, {http_response, Vsn, Status, _}, Rest} when Status >= 200, Status =< 999 ->
            case headers(Socket, Rest, Deadline, [], left(Left, Buf, Rest)) of
                {ok, Headers, After, _Left} -> body(Socket, Vsn, Status, Headers, After, Deadline);
                Error -> Error
            end;
        {more, _} when byte_size(Buf) > Left ->
            {error, http_error};
        {more, _} ->
            more(Socket, Buf, Deadline, fun(B) -> status_line(Socket, B, Deadline, Left) end);
        _Other ->
            {error, http_error}
    end.

headers(_Socket, _Buf, _Deadline, Acc, Left) when length(Acc) > ?MAX_HEADERS; Left < 0 ->
    {error, http_error};
headers(Socket, Buf, Deadline, Acc, Left) ->
    case erlang:decode_packet(httph_bin, Buf, []) of
        {ok, {http_header, _, _Known, Name, Value}, Rest} ->
            Header = {ascii_lowercase(Name), trim_ows(Value, trailing)},
            headers(Socket, Rest, Deadline, [Header | Acc], left(Left, Buf, Rest));
        {ok, http_eoh, Rest} ->
            end_of_head(lists:reverse(Acc), Rest, left(Left, Buf, Rest));
        {more, _} when byte_size(Buf) > Left ->
            {error, http_error};
        {more, _} ->
            more(Socket, Buf, Deadline, fun(B) -> headers(Socket, B, Deadline, Acc, Left) end);
        _Other ->
            {error, http_error}
    end.

end_of_head(_Headers, _Rest, Left) when Left < 0 -> {error, http_error};
end_of_head(Headers, Rest, Left) -> {ok, Headers, Rest, Left}.

%% What is left of the head's bytes once the line that Buf began with (all of it but Rest) is
%% counted; below 0 when the head is over.
left(Left, Buf, Rest) ->
    Left - (byte_size(Buf) - byte_size(Rest)).

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
        ascii_lowercase(Token)
     || V <- Values,
        T <- binary:split(V, <<",">>, [global]),
        Token <- [trim_ows(T)],
        Token =/= <<>>
    ].

%% Lowercased byte by byte, ASCII letters only: a header may hold bytes that are not UTF-8
%% (obs-text, which HTTP allows), on which string:lowercase/1 raises, and a put would take the
%% ingest's answer for a crash.
ascii_lowercase(Bin) ->
    <<<<(case C of
            _ when C >= $A, C =< $Z -> C + 32;
            _ -> C
        end)>>
     || <<C>> <= Bin>>.

%% Spaces and tabs (HTTP's OWS) trimmed byte by byte. string:trim/1,2,3 raises on bytes that are
%% not UTF-8, which a header value (obs-text, which HTTP allows) or a chunk's size line may hold:
%% the hand-off crashed on such an answer.
trim_ows(Bin) ->
    trim_ows(trim_ows(Bin, leading), trailing).

trim_ows(<<C, Rest/binary>>, leading) when C =:= $\s; C =:= $\t ->
    trim_ows(Rest, leading);
trim_ows(Bin, leading) ->
    Bin;
trim_ows(<<>>, trailing) ->
    <<>>;
trim_ows(Bin, trailing) ->
    case binary:last(Bin) of
        C when C =:= $\s; C =:= $\t -> trim_ows(binary:part(Bin, 0, byte_size(Bin) - 1), trailing);
        _ -> Bin
    end.

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
            case hex(trim_ows(SizeField)) of
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
        Left -> commitlog_http_transport:recv(Socket, Length, Left)
    end.

reason(timeout) -> timeout;
%% closed, econnreset, epipe, etimedout, ...; a TLS alert once the session is up.
reason(_Posix) -> connection_closed.

remaining(Deadline) ->
    max(0, Deadline - now_ms()).

now_ms() ->
    erlang:monotonic_time(millisecond).
