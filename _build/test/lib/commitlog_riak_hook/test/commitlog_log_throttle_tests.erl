-module(commitlog_log_throttle_tests).

-include_lib("eunit/include/eunit.hrl").

first_call_logs_then_the_interval_holds_the_rest_test() ->
    Key = {test, erlang:unique_integer([positive])},
    ?assertEqual({true, 0}, commitlog_log_throttle:allow(Key, 60000)),
    ?assertEqual(false, commitlog_log_throttle:allow(Key, 60000)),
    ?assertEqual(false, commitlog_log_throttle:allow(Key, 60000)).

once_the_interval_is_over_a_line_says_how_many_were_left_out_test() ->
    Key = {test, erlang:unique_integer([positive])},
    ?assertEqual({true, 0}, commitlog_log_throttle:allow(Key, 60000)),
    [false = commitlog_log_throttle:allow(Key, 60000) || _ <- lists:seq(1, 3)],
    timer:sleep(5),
    ?assertEqual({true, 3}, commitlog_log_throttle:allow(Key, 1)),
    ?assertEqual(false, commitlog_log_throttle:allow(Key, 60000)).

keys_are_throttled_apart_test() ->
    A = {test, erlang:unique_integer([positive])},
    B = {test, erlang:unique_integer([positive])},
    ?assertEqual({true, 0}, commitlog_log_throttle:allow(A, 60000)),
    ?assertEqual({true, 0}, commitlog_log_throttle:allow(B, 60000)).

%% Once the throttle exists (its first use may race: a line, not a commit), however many
%% callers find its interval over at once, one of them logs.
many_callers_at_once_log_one_line_test() ->
    Key = {test, erlang:unique_integer([positive])},
    ?assertEqual({true, 0}, commitlog_log_throttle:allow(Key, 1000)),
    timer:sleep(1100),
    Self = self(),
    Pids = [
        spawn(fun() -> Self ! {self(), commitlog_log_throttle:allow(Key, 1000)} end)
     || _ <- lists:seq(1, 50)
    ],
    Results = [
        receive
            {P, R} -> R
        end
     || P <- Pids
    ],
    ?assertEqual(1, length([R || {true, _} = R <- Results])).
