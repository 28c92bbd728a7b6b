%%% commitlog_hook_log: the line logged for each hand-off (what => commitlog_handoff), at the
%%% level its outcome calls for: `log_level` for a delivered commit or a duplicate, error for a
%%% commit the ingest refused, a node that is misconfigured or a TLS handshake that failed
%%% (tls_failed), warning for the rest, which go to the failure log. A commit that went to the
%%% failure log is logged at most once a second per outcome and reason (commitlog_log_throttle),
%%% the line saying how many it stands for.
%%%
%%% Inputs:  the outcome, the hand-off's duration in microseconds, the report (ids, attempts,
%%%          reason, never a value) and the hook's configuration.
%%% Outputs: ok.
%%% Errors:  none.
-module(commitlog_hook_log).

-export([handoff/4]).

-define(DOMAIN, #{domain => [commitlog]}).
%% At most one line per this many milliseconds for each outcome and reason of a failed hand-off.
-define(FAILURE_LOG_INTERVAL_MS, 1000).

%% A failure that every put of the node can meet at once (the breaker open, a clock skewed past
%% the signature's window and every request refused with 401, a node without its secret, a lane
%% full) would otherwise log a line per put: OTP's logger then switches to synchronous mode and
%% every put process waits for the console log. The failure log keeps every commit, statsd counts
%% every outcome; the line says how many hand-offs it stands for (also_since_last_line).
-spec handoff(atom(), non_neg_integer(), map(), map()) -> ok.
handoff(Outcome, Micros, #{past_open_breaker := true} = Report, _Config) ->
    %% Handed off, but only by its last try: the failure log could not be written, which the next
    %% outage will need. Said as a failure is (the breaker is open: every put of the node may).
    throttled(warning, {Outcome, past_open_breaker}, Outcome, Micros, Report);
handoff(Outcome, Micros, Report, _Config) when Outcome =/= delivered, Outcome =/= duplicate ->
    Reason = maps:get(reason, Report, undefined),
    throttled(level(Outcome, Reason), {Outcome, Reason}, Outcome, Micros, Report);
handoff(Outcome, Micros, Report, #{log_level := Level}) ->
    logger:log(
        Level,
        Report#{what => commitlog_handoff, outcome => Outcome, duration_us => Micros},
        ?DOMAIN
    ).

throttled(Level, Key, Outcome, Micros, Report) ->
    case commitlog_log_throttle:allow(Key, ?FAILURE_LOG_INTERVAL_MS) of
        {true, Suppressed} ->
            logger:log(
                Level,
                Report#{
                    what => commitlog_handoff,
                    outcome => Outcome,
                    duration_us => Micros,
                    also_since_last_line => Suppressed
                },
                ?DOMAIN
            );
        false ->
            ok
    end.

level(rejected, _) -> error;
%% The node is misconfigured: every commit will fail until someone fixes it.
level(failed, no_secret) -> error;
level(failed, unsupported_url) -> error;
level(failed, tls_unconfigured) -> error;
level(failed, ca_file_unreadable) -> error;
%% The ingest's certificate does not verify: a CA or a name that is wrong, or someone else
%% answering at the ingest's address. commitlog_tls logs the alert.
level(failed, tls_failed) -> error;
level(_ToFailureLog, _) -> warning.
