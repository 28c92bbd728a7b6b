%%% commitlog_hook_log: the line logged for each hand-off (what => commitlog_handoff), at the
%%% level its outcome calls for: `log_level` for a delivered commit or a duplicate, error for a
%%% commit the ingest refused or a node that is misconfigured, warning for the rest, which go to
%%% the failure log; while the breaker is open, one line a second (commitlog_log_throttle).
%%%
%%% Inputs:  the outcome, the hand-off's duration in microseconds, the report (ids, attempts,
%%%          reason, never a value) and the hook's configuration.
%%% Outputs: ok.
%%% Errors:  none.
-module(commitlog_hook_log).

-export([handoff/4]).

-define(DOMAIN, #{domain => [commitlog]}).
%% At most one `breaker_open` line per this many milliseconds.
-define(BREAKER_OPEN_LOG_INTERVAL_MS, 1000).

%% While the breaker is open every put of the node writes its commit to the failure log: one
%% line a second says so, with how many it stands for (commitlog_log_throttle).
-spec handoff(atom(), non_neg_integer(), map(), map()) -> ok.
handoff(breaker_open, Micros, Report, _Config) ->
    case commitlog_log_throttle:allow(breaker_open, ?BREAKER_OPEN_LOG_INTERVAL_MS) of
        {true, Suppressed} ->
            logger:log(
                warning,
                Report#{
                    what => commitlog_handoff,
                    outcome => breaker_open,
                    duration_us => Micros,
                    also_since_last_line => Suppressed
                },
                ?DOMAIN
            );
        false ->
            ok
    end;
handoff(Outcome, Micros, Report, #{log_level := Level}) ->
    LogLevel =
        case {Outcome, maps:get(reason, Report, undefined)} of
            {delivered, _} -> Level;
            {duplicate, _} -> Level;
            {rejected, _} -> error;
            %% The node is misconfigured: every commit will fail until someone fixes it.
            {failed, no_secret} -> error;
            {failed, unsupported_url} -> error;
            {_ToFailureLog, _} -> warning
        end,
    logger:log(
        LogLevel,
        Report#{what => commitlog_handoff, outcome => Outcome, duration_us => Micros},
        ?DOMAIN
    ).
