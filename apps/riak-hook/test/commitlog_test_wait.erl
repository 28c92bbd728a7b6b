%% Polls until a condition holds or a deadline (erlang:monotonic_time(millisecond)) passes, every
%% 10 ms: for what a test cannot wait on by message (a pool's state, a supervisor's children).
-module(commitlog_test_wait).

-export([until/2, deadline/1]).

%% Fun() answers true (until/2 returns ok), {true, Result} (it returns Result), or false (try
%% again). Past the deadline: erlang:error(wait_until_timeout).
until(Fun, Deadline) ->
    case Fun() of
        true ->
            ok;
        {true, Result} ->
            Result;
        false ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> erlang:error(wait_until_timeout);
                false -> timer:sleep(10), until(Fun, Deadline)
            end
    end.

%% Ms from now.
deadline(Ms) -> erlang:monotonic_time(millisecond) + Ms.
