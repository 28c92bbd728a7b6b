%%% commitlog_commit: a committed Riak object as the commit the ingest accepts (DESIGN.md,
%%% "Ingest HTTP API, v1"). Reads the object through riak_object's API, and the node's object
%%% format (which decides what Riak keeps of a tombstone marker); returns terms.
%%%
%%% Inputs:  a riak_object() as Riak passes it to a postcommit hook (every sibling is read with
%%%          riak_object:get_contents/1; get_value/1 would crash on siblings).
%%% Outputs: from_object/1: the commit as a commitlog_json term, fields in DESIGN's order:
%%%            bucketType ("default" for an untyped bucket), bucket, key, op (delete when every
%%%            content is a tombstone as Riak stores it: see is_tombstone/2), vclock (base64 of
%%%            the vclock as Riak's HTTP API encodes it), siblings (one per content: value,
%%%            contentType, contentEncoding, vtag, lastModified, usermeta, indexes, and deleted: true last on a
%%%            tombstone content of a put; never on a delete, whose op already says it).
%%%          display/1, describe/1: bucket and key for logs (UTF-8 text or "base64:...").
%%%          Times are written by commitlog_time.
%%% Errors:  raises when the argument is not a riak_object (whatever riak_object raises);
%%%          commitlog_hook catches it. A metadata field of an unexpected shape is skipped; metadata
%%%          that is not a dict, a map or a list raises (the object goes to the failure log as
%%%          unencodable: read as "none", a delete would be sent as a put).
%%%
%%% Riak metadata this reads (riak_kv's riak_kv_wm_raw.hrl names, dict keys of each content):
%%%   <<"content-type">> and <<"charset">> (strings), <<"content-encoding">> (string, e.g.
%%%   "gzip": the value's bytes are as stored, so consumers must be told), <<"X-Riak-VTag">> (string),
%%%   <<"X-Riak-Last-Modified">> (an erlang:timestamp(); very old objects hold an RFC 1123
%%%   string), <<"X-Riak-Meta">> ([{Name, Value}], strings from the HTTP API, binaries from
%%%   protocol buffers, names kept as stored, e.g. "X-Riak-Meta-Origin"), <<"index">>
%%%   ([{Name, binary() | integer()}]), <<"X-Riak-Deleted">> (under object format v1, true or
%%%   "true" on a tombstone, any other value, <<"true">> and "false" among them, being stored as
%%%   "not deleted"; under v0, present at all: see is_tombstone/2).
%%% Not carried (the ingest schema has no field for them): <<"Links">>.
%%% An ingest older than the `deleted` field refuses a put holding a tombstone sibling with 400,
%%% and one older than `contentEncoding` a sibling that has one: the hook writes such a commit to
%%% its failure log as rejected_400, to requeue once the ingest is upgraded.
-module(commitlog_commit).

-export([from_object/1, describe/1, display/1]).
-export([encode_vclock/1]).

-define(MD_CTYPE, <<"content-type">>).
-define(MD_CHARSET, <<"charset">>).
-define(MD_CENCODING, <<"content-encoding">>).
-define(MD_VTAG, <<"X-Riak-VTag">>).
-define(MD_LASTMOD, <<"X-Riak-Last-Modified">>).
-define(MD_USERMETA, <<"X-Riak-Meta">>).
-define(MD_INDEX, <<"index">>).
-define(MD_DELETED, <<"X-Riak-Deleted">>).

%% JSON numbers past 2^53 lose digits in the ingest's parser; it refuses them, so bigger
%% integer index values travel as strings.
-define(MAX_SAFE_INTEGER, 9007199254740991).

-spec from_object(term()) -> {object, [{atom(), term()}]}.
from_object(Obj) ->
    {Type, Bucket} = split_bucket(riak_object:bucket(Obj)),
    Contents = riak_object:get_contents(Obj),
    Format = object_format(),
    Op = op(Contents, Format),
    {object, [
        {bucketType, riak_binary(Type)},
        {bucket, riak_binary(Bucket)},
        {key, riak_binary(riak_object:key(Obj))},
        {op, Op},
        {vclock, base64:encode(encode_vclock(riak_object:vclock(Obj)))},
        {siblings, [sibling(Op, Format, MD, V) || {MD, V} <- Contents]}
    ]}.

%% {DisplayBucket, DisplayKey} for logs: "type/bucket" for a typed bucket.
-spec describe(term()) -> {binary(), binary()}.
describe(Obj) ->
    Bucket =
        case riak_object:bucket(Obj) of
            {T, B} -> <<(display(T))/binary, "/", (display(B))/binary>>;
            B -> display(B)
        end,
    {Bucket, display(riak_object:key(Obj))}.

%% A binary for logs: itself when it is UTF-8, else "base64:<...>". Not reversible.
-spec display(term()) -> binary().
display(B) when is_binary(B) ->
    case is_utf8(B) of
        true -> B;
        false -> <<"base64:", (base64:encode(B))/binary>>
    end;
display(Other) ->
    display(to_bytes(Other)).

%% The vclock bytes exactly as Riak's HTTP API puts them (base64-encoded) in X-Riak-Vclock:
%% riak_kv_wm_object and riak_object:vclock_header/1 use base64(riak_object:encode_vclock(VC)),
%% which is term_to_binary({encode_raw, VC}) today. Riak versions without encode_vclock/1
%% (before 1.4) sent base64(zlib:zip(term_to_binary(VC))); riak_object:decode_vclock/1 still
%% reads that form, so it is the fallback.
-spec encode_vclock(term()) -> binary().
encode_vclock(VClock) ->
    _ = erlang:module_loaded(riak_object) orelse code:ensure_loaded(riak_object),
    case erlang:function_exported(riak_object, encode_vclock, 1) of
        true -> riak_object:encode_vclock(VClock);
        false -> zlib:zip(term_to_binary(VClock))
    end.

%%% Internal

split_bucket({Type, Bucket}) -> {Type, Bucket};
split_bucket(Bucket) -> {<<"default">>, Bucket}.

%% Riak's own test (riak_kv_util:is_x_deleted/1): deleted when every content is a tombstone.
%% So an object with no contents at all is a delete too, and a put may carry tombstone siblings.
op(Contents, Format) ->
    case lists:all(fun({MD, _V}) -> is_tombstone(MD, Format) end, Contents) of
        true -> delete;
        false -> put
    end.

%% A tombstone as Riak stores it, which is what its GETs and this key's later history see.
%% riak_kv_util:obj_not_deleted/1 asks whether X-Riak-Deleted is there, whatever its value, but
%% the object format decides what gets there: format v1 (riak.conf `object.format = 1`, the
%% default since Riak 2.0) keeps the marker only when it is true or "true" (riak_object's
%% meta_bin writes any other value as "not deleted"), so a protocol-buffers client's
%% `deleted = false` stores a live object. Format v0 stores the metadata as given.
is_tombstone(MD, Format) ->
    case md_find(?MD_DELETED, MD) of
        error -> false;
        {ok, _} when Format =:= v0 -> true;
        {ok, Marker} -> Marker =:= true orelse Marker =:= "true"
    end.

%% The object format this node writes: the cluster's negotiated capability inside Riak, else
%% riak_kv's setting, else v1 (Riak's default).
object_format() ->
    try
        riak_core_capability:get({riak_kv, object_format}, v1)
    catch
        _:_ -> application:get_env(riak_kv, object_format, v1)
    end.

sibling(Op, Format, MD, Value) ->
    {object,
        [{value, base64:encode(value_bytes(Value))}] ++
            content_type(MD, Value) ++
            text_field(contentEncoding, md_find(?MD_CENCODING, MD)) ++
            text_field(vtag, md_find(?MD_VTAG, MD)) ++
            last_modified(md_find(?MD_LASTMOD, MD)) ++
            usermeta(md_find(?MD_USERMETA, MD)) ++
            indexes(md_find(?MD_INDEX, MD)) ++
            deleted(Op, Format, MD)}.

%% A tombstone beside live siblings (a delete that raced a write under allow_mult) is marked, or
%% consumers would take its empty value for a real one. A delete's contents are all tombstones:
%% its op says so, and its body stays as it was before the field existed.
deleted(put, Format, MD) ->
    case is_tombstone(MD, Format) of
        true -> [{deleted, true}];
        false -> []
    end;
deleted(delete, _Format, _MD) ->
    [].

%% Some backends let Riak keep any term as a value; its HTTP API serves those as
%% term_to_binary bytes with content type application/x-erlang-binary
%% (riak_kv_wm_utils:encode_value/1), and so do we.
value_bytes(V) when is_binary(V) -> V;
value_bytes(V) -> term_to_binary(V).

%% Riak keeps the charset apart from the content type; its HTTP API joins them again
%% ("text/plain; charset=utf-8"), and so does the commit, which has one field for both.
content_type(MD, Value) ->
    Base =
        case md_find(?MD_CTYPE, MD) of
            {ok, CType} -> {ok, to_bytes(CType)};
            error when not is_binary(Value) -> {ok, <<"application/x-erlang-binary">>};
            error -> error
        end,
    case {Base, md_find(?MD_CHARSET, MD)} of
        {error, error} ->
            [];
        {{ok, CT}, error} ->
            text_field(contentType, {ok, CT});
        {_, {ok, Charset}} ->
            CT = case Base of {ok, C} -> C; error -> <<"application/octet-stream">> end,
            text_field(contentType, {ok, <<CT/binary, "; charset=", (to_bytes(Charset))/binary>>})
    end.

last_modified({ok, {Mega, Secs, Micros}}) when
    is_integer(Mega), is_integer(Secs), is_integer(Micros), Mega >= 0, Secs >= 0, Micros >= 0
->
    case commitlog_time:timestamp_to_iso8601({Mega, Secs, Micros}) of
        {ok, Iso} -> [{lastModified, Iso}];
        error -> []
    end;
%% Riak before 0.14 kept an RFC 1123 string.
last_modified({ok, Rfc1123}) when is_list(Rfc1123); is_binary(Rfc1123) ->
    case commitlog_time:rfc1123_to_iso8601(to_list(Rfc1123)) of
        {ok, Iso} -> [{lastModified, Iso}];
        error -> []
    end;
last_modified(_) ->
    [].

%% User metadata: [{Name, Value}] kept in Riak's order; a repeated name keeps its first value
%% (what proplists:get_value/2 would answer), because a JSON object cannot hold it twice.
usermeta({ok, Pairs}) when is_list(Pairs) ->
    Fold = fun
        ({Name, Value}, {Seen, Acc}) ->
            N = utf8_or_base64(to_bytes(Name)),
            case lists:member(N, Seen) of
                true -> {Seen, Acc};
                false -> {[N | Seen], [{N, usermeta_value(Value)} | Acc]}
            end;
        (_NotAPair, SeenAcc) ->
            SeenAcc
    end,
    {_, Reversed} = lists:foldl(Fold, {[], []}, Pairs),
    [{usermeta, {object, lists:reverse(Reversed)}}];
usermeta(_) ->
    [].

%% A protocol-buffers pair whose client left the value out arrives as `undefined`
%% (riak_pb_codec:decode_pair/1): an empty value, not the text "undefined".
usermeta_value(undefined) -> <<>>;
usermeta_value(Value) -> riak_binary(Value).

%% Secondary indexes: [{Name, Value}] grouped by name (in order of first appearance), values in
%% Riak's order. Integers travel as JSON numbers while JSON can hold them exactly.
indexes({ok, Pairs}) when is_list(Pairs) ->
    Fold = fun
        ({Name, Value}, {Names, ByName}) ->
            N = utf8_or_base64(to_bytes(Name)),
            V = index_value(Value),
            case maps:find(N, ByName) of
                {ok, Vs} -> {Names, ByName#{N := [V | Vs]}};
                error -> {[N | Names], ByName#{N => [V]}}
            end;
        (_NotAPair, Acc) ->
            Acc
    end,
    {Names, ByName} = lists:foldl(Fold, {[], #{}}, Pairs),
    [{indexes, {object, [{N, lists:reverse(maps:get(N, ByName))} || N <- lists:reverse(Names)]}}];
indexes(_) ->
    [].

index_value(I) when is_integer(I), abs(I) =< ?MAX_SAFE_INTEGER -> I;
index_value(I) when is_integer(I) -> integer_to_binary(I);
index_value(V) -> riak_binary(V).

text_field(Name, {ok, Value}) -> [{Name, riak_binary(Value)}];
text_field(_Name, error) -> [].

%% bucketType, bucket, key and the metadata texts (content type, vtag, usermeta and index
%% values): the schema's two forms of bytes, a string when they are UTF-8, else {"base64"}.
riak_binary(B0) ->
    B = to_bytes(B0),
    case is_utf8(B) of
        true -> B;
        false -> #{base64 => base64:encode(B)}
    end.

%% The names of usermeta entries and indexes are JSON object keys, which have no {"base64"} form.
%% A name that is not UTF-8 (never seen in practice: they arrive as HTTP header names or
%% protocol-buffer strings) is sent as its base64 text so the commit is still accepted and no
%% byte is lost; the reader cannot tell that it was encoded.
utf8_or_base64(B) ->
    case is_utf8(B) of
        true -> B;
        false -> base64:encode(B)
    end.

is_utf8(B) -> unicode:characters_to_binary(B, utf8, utf8) =:= B.

%% Metadata values as bytes. Strings from the HTTP API are lists of bytes (header octets), so
%% they are taken byte for byte; a list of Unicode code points (from Erlang clients) is encoded
%% as UTF-8; any other term as term_to_binary. Never fatal: a crash here, before the commit's
%% JSON exists, would leave the commit neither delivered nor in the failure log.
to_bytes(B) when is_binary(B) -> B;
to_bytes(A) when is_atom(A) -> atom_to_binary(A, utf8);
to_bytes(I) when is_integer(I) -> integer_to_binary(I);
to_bytes(L) when is_list(L) ->
    try
        iolist_to_binary(L)
    catch
        error:badarg -> characters_or_term(L)
    end;
to_bytes(Other) ->
    term_to_binary(Other).

%% unicode:characters_to_binary/1 returns an error tuple for bad code points but raises badarg
%% for a list that is not character data at all (a proplist from an Erlang client, say).
characters_or_term(L) ->
    try unicode:characters_to_binary(L) of
        B when is_binary(B) -> B;
        _ -> term_to_binary(L)
    catch
        error:badarg -> term_to_binary(L)
    end.

to_list(B) when is_binary(B) -> binary_to_list(B);
to_list(L) when is_list(L) -> L.

%% Riak's metadata is a dict, or a map where riak_kv's `metadata_version` is v1 (OpenRiak 3.4
%% and later, opt-in); riak_object's type also admits a proplist, so each is read. Any other
%% shape raises: read as "no metadata", a tombstone would be sent as a put and every field
%% dropped, with nothing said; raised, the object goes to the failure log as unencodable.
md_find(Key, MD) when is_list(MD) ->
    case lists:keyfind(Key, 1, MD) of
        {Key, V} -> {ok, V};
        false -> error
    end;
md_find(Key, MD) when is_map(MD) ->
    maps:find(Key, MD);
md_find(Key, MD) ->
    dict:find(Key, MD).
