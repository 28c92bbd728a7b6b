-module(commitlog_json_tests).

-include_lib("eunit/include/eunit.hrl").

enc(Term) -> iolist_to_binary(commitlog_json:encode(Term)).

literals_test() ->
    ?assertEqual(<<"true">>, enc(true)),
    ?assertEqual(<<"false">>, enc(false)),
    ?assertEqual(<<"null">>, enc(null)),
    ?assertEqual(<<"\"put\"">>, enc(put)),
    ?assertEqual(<<"0">>, enc(0)),
    ?assertEqual(<<"-42">>, enc(-42)),
    ?assertEqual(<<"123456789012345678901234567890">>, enc(123456789012345678901234567890)),
    ?assertEqual(<<"[]">>, enc([])),
    ?assertEqual(<<"{}">>, enc(#{})),
    ?assertEqual(<<"\"\"">>, enc(<<>>)).

escapes_quotes_backslash_and_control_characters_test() ->
    ?assertEqual(<<"\"a\\\"b\\\\c\"">>, enc(<<"a\"b\\c">>)),
    ?assertEqual(<<"\"\\n\\r\\t\\b\\f\"">>, enc(<<"\n\r\t\b\f">>)),
    ?assertEqual(<<"\"\\u0000\\u0001\\u001f\"">>, enc(<<0, 1, 31>>)),
    %% DEL and '/' need no escape.
    ?assertEqual(<<"\"\x7f/\"">>, enc(<<127, $/>>)).

every_control_character_round_trips_test() ->
    Bin = list_to_binary(lists:seq(0, 127)),
    Json = enc(Bin),
    ?assertEqual(Bin, commitlog_test_json:decode(Json)),
    %% No raw control character survives in the text.
    ?assertEqual(nomatch, re:run(Json, <<"[\\x00-\\x1f]">>)).

utf8_passes_through_unchanged_test() ->
    Text = <<"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80">>,
    ?assertEqual(<<$", Text/binary, $">>, enc(Text)),
    ?assertEqual(Text, commitlog_test_json:decode(enc(Text))).

invalid_utf8_is_refused_test() ->
    ?assertError({invalid_utf8, _}, enc(<<255, 0>>)),
    ?assertError({invalid_utf8, _}, enc(<<"ok", 16#c3>>)).

unsupported_terms_are_refused_test() ->
    ?assertError({invalid_json, _}, enc(1.5)),
    ?assertError({invalid_json, _}, enc({a, b})),
    ?assertError({invalid_json, _}, enc(self())).

map_keys_are_sorted_whatever_the_insertion_order_test() ->
    A = maps:from_list([{<<"b">>, 1}, {<<"a">>, 2}, {<<"c">>, 3}]),
    B = maps:from_list([{<<"c">>, 3}, {<<"b">>, 1}, {<<"a">>, 2}]),
    ?assertEqual(<<"{\"a\":2,\"b\":1,\"c\":3}">>, enc(A)),
    ?assertEqual(enc(A), enc(B)),
    %% Atom, binary and string keys sort by their bytes together.
    ?assertEqual(<<"{\"a\":1,\"b\":2,\"c\":3}">>, enc(#{c => 3, <<"a">> => 1, "b" => 2})).

ordered_objects_keep_their_order_test() ->
    ?assertEqual(
        <<"{\"z\":1,\"a\":[true,null],\"m\":{\"k\":\"v\"}}">>,
        enc({object, [{z, 1}, {<<"a">>, [true, null]}, {"m", #{k => <<"v">>}}]})
    ).

keys_are_escaped_too_test() ->
    ?assertEqual(<<"{\"a\\\"b\":1}">>, enc(#{<<"a\"b">> => 1})).

embedded_json_is_copied_as_is_test() ->
    ?assertEqual(<<"{\"c\":{\"x\":1}}">>, enc({object, [{c, {json, [<<"{\"x\"">>, ":1}"]}}]})).

nested_output_decodes_to_the_same_data_test() ->
    Term = #{
        <<"list">> => [1, -2, <<"three">>, [], #{}],
        <<"map">> => #{<<"k\n">> => <<"v\t">>, <<"empty">> => <<>>},
        <<"flags">> => [true, false, null]
    },
    ?assertEqual(Term, commitlog_test_json:decode(enc(Term))).
