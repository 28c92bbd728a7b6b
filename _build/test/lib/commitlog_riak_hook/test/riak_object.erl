%%% riak_object (TEST ONLY): a stand-in for riak_kv's riak_object, so EUnit can build the objects
%%% Riak passes to postcommit hooks. It lives in test/, which rebar3 compiles for eunit only:
%%% it must never ship, or it would shadow Riak's own module.
%%%
%%% Mirrors the functions the hook (and its tests) use, with the record shapes and return values
%%% of basho/riak_kv src/riak_object.erl (written from reading it, not copied):
%%%   #r_object{bucket, key, contents = [#r_content{metadata = dict(), value}], vclock, ...}
%%%   bucket/1      -> binary() | {Type :: binary(), Bucket :: binary()}
%%%   key/1         -> binary()
%%%   vclock/1      -> vclock:vclock(), a list of {Actor, {Counter, Timestamp}}
%%%   get_contents/1 -> [{MetadataDict, Value}], one per sibling
%%%   get_metadatas/1, get_values/1 -> one entry per sibling
%%%   get_metadata/1, get_value/1 -> badmatch unless there is exactly one sibling
%%%   encode_vclock/1 -> term_to_binary({encode_raw, VClock}) (what the HTTP API base64-encodes)
%%%   new/3, new/4   -> one content; new/4 takes a content-type string or a metadata dict
%%%   set_contents/2, set_vclock/2, increment_vclock/2,3 -> build siblings and clocks in tests
%%% Errors:  like the real one: function_clause for a non-binary bucket or key, a throw of
%%%          {error, key_too_large} past 65536 bytes, badmatch from get_value/1 on siblings.
-module(riak_object).

-export([new/3, new/4, bucket/1, key/1, vclock/1, value_count/1]).
-export([get_contents/1, get_metadatas/1, get_values/1, get_metadata/1, get_value/1]).
-export([set_contents/2, set_vclock/2, increment_vclock/2, increment_vclock/3]).
-export([encode_vclock/1, encode_vclock/2, decode_vclock/1]).

-record(r_content, {metadata, value}).
-record(r_object, {
    bucket,
    key,
    contents = [],
    vclock = [],
    updatemetadata = dict:store(clean, true, dict:new()),
    updatevalue
}).

-define(MAX_KEY_SIZE, 65536).

new({T, B}, K, V) when is_binary(T), is_binary(B), is_binary(K) ->
    new_int({T, B}, K, V, dict:new());
new(B, K, V) when is_binary(B), is_binary(K) ->
    new_int(B, K, V, dict:new()).

new({T, B}, K, V, C) when is_binary(T), is_binary(B), is_binary(K), is_list(C) ->
    new_int({T, B}, K, V, dict:from_list([{<<"content-type">>, C}]));
new(B, K, V, C) when is_binary(B), is_binary(K), is_list(C) ->
    new_int(B, K, V, dict:from_list([{<<"content-type">>, C}]));
new({T, B}, K, V, MD) when is_binary(T), is_binary(B), is_binary(K) -> new_int({T, B}, K, V, MD);
new(B, K, V, MD) when is_binary(B), is_binary(K) -> new_int(B, K, V, MD).

new_int(B, K, V, MD) ->
    case byte_size(K) > ?MAX_KEY_SIZE of
        true -> throw({error, key_too_large});
        false -> #r_object{bucket = B, key = K, contents = [#r_content{metadata = MD, value = V}]}
    end.

bucket(#r_object{bucket = B}) -> B.
key(#r_object{key = K}) -> K.
vclock(#r_object{vclock = VC}) -> VC.
value_count(#r_object{contents = C}) -> length(C).

get_contents(#r_object{contents = C}) -> [{M, V} || #r_content{metadata = M, value = V} <- C].
get_metadatas(#r_object{contents = C}) -> [M || #r_content{metadata = M} <- C].
get_values(#r_object{contents = C}) -> [V || #r_content{value = V} <- C].

get_metadata(O = #r_object{}) ->
    [{M, _V}] = get_contents(O),
    M.

get_value(O = #r_object{}) ->
    [{_M, V}] = get_contents(O),
    V.

set_contents(O = #r_object{}, MVs) when is_list(MVs) ->
    O#r_object{contents = [#r_content{metadata = M, value = V} || {M, V} <- MVs]}.

set_vclock(O = #r_object{}, VC) -> O#r_object{vclock = VC}.

increment_vclock(O, Actor) -> increment_vclock(O, Actor, os:system_time(second)).

increment_vclock(O = #r_object{vclock = VC}, Actor, Timestamp) ->
    Counter =
        case lists:keyfind(Actor, 1, VC) of
            {Actor, {C, _}} -> C + 1;
            false -> 1
        end,
    O#r_object{vclock = lists:keystore(Actor, 1, VC, {Actor, {Counter, Timestamp}})}.

encode_vclock(VC) -> encode_vclock(encode_raw, VC).

encode_vclock(encode_zlib, VC) -> zlib:zip(term_to_binary(VC));
encode_vclock(Method, VC) -> term_to_binary({Method, VC}).

decode_vclock(Bin) ->
    case catch binary_to_term(Bin) of
        {encode_raw, VC} -> VC;
        _ -> binary_to_term(zlib:unzip(Bin))
    end.
