%% Every logger event while a test runs, for the test to read (`logged/1`), with the default
%% handler silenced and the primary level at `all` meanwhile; `stop/1` puts both back.
-module(commitlog_test_capture).

-export([start/0, stop/1, logged/1, log/2]).

start() ->
    {ok, Primary} = {ok, logger:get_primary_config()},
    ok = logger:set_primary_config(level, all),
    DefaultLevel =
        case logger:get_handler_config(default) of
            {ok, #{level := L}} ->
                _ = logger:set_handler_config(default, level, none),
                L;
            _ ->
                undefined
        end,
    %% EUnit runs setup and the test body in different processes: events go to a collector.
    Collector = spawn(fun() -> collect([]) end),
    HandlerId = list_to_atom("capture_" ++ integer_to_list(erlang:unique_integer([positive]))),
    ok = logger:add_handler(HandlerId, ?MODULE, #{config => #{pid => Collector}}),
    #{
        handler => HandlerId,
        collector => Collector,
        primary_level => maps:get(level, Primary),
        default_level => DefaultLevel
    }.

stop(#{handler := HandlerId, collector := Collector} = Capture) ->
    _ = logger:remove_handler(HandlerId),
    exit(Collector, kill),
    ok = logger:set_primary_config(level, maps:get(primary_level, Capture)),
    case maps:get(default_level, Capture) of
        undefined -> ok;
        L -> _ = logger:set_handler_config(default, level, L)
    end,
    ok.

%% Log events captured since the last call.
logged(#{collector := Collector}) ->
    Ref = make_ref(),
    Collector ! {take, self(), Ref},
    receive
        {Ref, Events} -> Events
    after 5000 -> erlang:error(collector_timeout)
    end.

%% logger handler: forwards every event to the collector. It runs in the process that logs,
%% so an event logged by the test's own call arrives before the test's next request to the
%% collector.
log(Event, #{config := #{pid := Pid}}) ->
    Pid ! {logged, Event},
    ok.

collect(Events) ->
    receive
        {logged, Event} ->
            collect([Event | Events]);
        {take, From, Ref} ->
            From ! {Ref, lists:reverse(Events)},
            collect([])
    end.
