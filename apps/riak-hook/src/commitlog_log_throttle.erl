%%% commitlog_log_throttle: at most one log line per interval for a kind of event that every
%%% put can meet at once, such as a commit written to the failure log while the breaker is open.
%%% During an outage every put of the node meets it: a line each would fill OTP's logger queue,
%%% which then makes the logging processes (Riak's put processes) wait for it, and the breaker
%%% is there so that they do not. The failure log keeps every commit; the line says how many it
%%% stood for.
%%%
%%% Inputs:  a key naming the kind of event, an interval in milliseconds.
%%% Outputs: allow/2 -> {true, Suppressed} (log now, saying that Suppressed lines were left out
%%%          since the last) | false (leave this one out, counted).
%%% Errors:  none.
%%%
%%% Two atomics per key, kept in persistent_term: slot 1 the time of the last line allowed
%%% (commitlog_breaker:now_ms/0, 0 = never), slot 2 the lines left out since. Created on first
%%% use; two first callers may both create one, and the loser's count is lost: a line, not a
%%% commit.
-module(commitlog_log_throttle).

-export([allow/2]).

-define(LAST, 1).
-define(SUPPRESSED, 2).

-spec allow(term(), pos_integer()) -> {true, non_neg_integer()} | false.
allow(Key, IntervalMs) ->
    Ref = ref(Key),
    Now = commitlog_breaker:now_ms(),
    Last = atomics:get(Ref, ?LAST),
    %% compare_exchange: of the callers that find the interval over, exactly one logs.
    case
        (Last =:= 0 orelse Now - Last >= IntervalMs) andalso
            atomics:compare_exchange(Ref, ?LAST, Last, Now) =:= ok
    of
        true ->
            {true, atomics:exchange(Ref, ?SUPPRESSED, 0)};
        false ->
            atomics:add(Ref, ?SUPPRESSED, 1),
            false
    end.

%%% Internal

ref(Key) ->
    Name = {?MODULE, Key},
    case persistent_term:get(Name, undefined) of
        undefined ->
            Ref = atomics:new(2, [{signed, true}]),
            persistent_term:put(Name, Ref),
            Ref;
        Ref ->
            Ref
    end.
