%%% commitlog_time: the times a commit and the failure log carry, as the ingest reads them:
%%% ISO 8601 in UTC with six fraction digits, e.g. <<"2025-11-24T16:00:00.123456Z">>.
%%%
%%% Inputs:  microseconds since 1970 (integer), an erlang:timestamp(), or an RFC 1123 string
%%%          ("Sun, 06 Nov 1994 08:49:37 GMT", as Riak kept last-modified before 0.14).
%%% Outputs: micros_to_iso8601/1: the binary; timestamp_to_iso8601/1: {ok, Binary}, or error
%%%          for a time past year 9999; rfc1123_to_iso8601/1: {ok, Binary}, or error for text of
%%%          any other shape or a time outside 1970 to 9999.
%%% Errors:  micros_to_iso8601/1 raises function_clause on a negative or non-integer argument,
%%%          or one past year 9999 (four digits cannot say it, and the ingest reads no other).
-module(commitlog_time).

-export([micros_to_iso8601/1, timestamp_to_iso8601/1, rfc1123_to_iso8601/1, last_micros/0]).

%% Seconds from 0000-01-01 (calendar's gregorian epoch) to 1970-01-01.
-define(UNIX_EPOCH_GREGORIAN_SECONDS, 62167219200).
%% The last microsecond of year 9999, in microseconds since 1970.
-define(LAST_MICROS, 253402300799999999).

%% The last time ISO 8601's four-digit years can say, for a caller that must write some time.
-spec last_micros() -> non_neg_integer().
last_micros() -> ?LAST_MICROS.

%% A node whose clock was far off can stamp a time past year 9999: such a time is left out, as
%% any other metadata of a shape the ingest cannot take, rather than refused with the commit.
-spec timestamp_to_iso8601(erlang:timestamp()) -> {ok, binary()} | error.
timestamp_to_iso8601({Mega, Secs, Micros}) ->
    case (Mega * 1000000 + Secs) * 1000000 + Micros of
        All when All =< ?LAST_MICROS -> {ok, micros_to_iso8601(All)};
        _ -> error
    end.

%% e.g. 1764000000123456 -> <<"2025-11-24T16:00:00.123456Z">>.
-spec micros_to_iso8601(non_neg_integer()) -> binary().
micros_to_iso8601(Micros) when is_integer(Micros), Micros >= 0, Micros =< ?LAST_MICROS ->
    Secs = Micros div 1000000,
    {{Y, Mo, D}, {H, Mi, S}} =
        calendar:gregorian_seconds_to_datetime(Secs + ?UNIX_EPOCH_GREGORIAN_SECONDS),
    iolist_to_binary(
        io_lib:format(
            "~4..0B-~2..0B-~2..0BT~2..0B:~2..0B:~2..0B.~6..0BZ",
            [Y, Mo, D, H, Mi, S, Micros rem 1000000]
        )
    ).

-spec rfc1123_to_iso8601(string()) -> {ok, binary()} | error.
rfc1123_to_iso8601(Text) ->
    try
        [_Day, DD, Mon, YYYY, HH, MM, SS, "GMT"] = string:tokens(Text, " ,:"),
        Date = {list_to_integer(YYYY), month(Mon), list_to_integer(DD)},
        Time = {list_to_integer(HH), list_to_integer(MM), list_to_integer(SS)},
        Secs = calendar:datetime_to_gregorian_seconds({Date, Time}),
        {ok, micros_to_iso8601((Secs - ?UNIX_EPOCH_GREGORIAN_SECONDS) * 1000000)}
    catch
        _:_ -> error
    end.

month(Name) ->
    Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    length(lists:takewhile(fun(M) -> M =/= Name end, Months)) + 1.
