%%% commitlog_http_url: the ingest URL as commitlog_http sends to it, parsed once from the
%%% hook's setting.
%%%
%%% `http://host[:port][/path-prefix]` (port 80 when none is named) and
%%% `https://host[:port][/path-prefix]` (port 443; commitlog_http then speaks TLS, verifying the
%%% ingest's certificate: commitlog_tls). User info, a query or a fragment are
%%% {error, unsupported_url}, and so is any other scheme or a port outside 1..65535. An IP
%%% address (IPv6 in brackets) is kept parsed, so that no lookup is needed to connect; a host
%%% name is kept as a string, resolved by commitlog_http on each new connection (and, for https,
%%% the name the certificate must carry and the SNI sent).
%%%
%%% Inputs:  parse(Url): a string or binary.
%%% Outputs: {ok, url()}: scheme, host (an address or a name), port, the Host header's value
%%%            (host[:port], IPv6 in brackets; no port when it is the scheme's default), and the
%%%            path without its trailing slashes (<<>> for none), which requests go below.
%%%          | {error, unsupported_url}.
%%% Errors:  none raised.
-module(commitlog_http_url).

-export([parse/1]).

-export_type([url/0]).

-type url() :: #{
    scheme := http | https,
    host := inet:hostname() | inet:ip_address(),
    port := inet:port_number(),
    %% The Host header's value: host[:port], IPv6 in brackets.
    host_header := binary(),
    %% The URL's path without its trailing slashes (<<>> for none): requests go to Prefix ++ Path.
    path_prefix := binary()
}.

-spec parse(string() | binary()) -> {ok, url()} | {error, unsupported_url}.
parse(Url) ->
    try uri_string:parse(iolist_to_binary(Url)) of
        #{scheme := Scheme, host := Host} = U when Host =/= <<>> ->
            NoExtras =
                not maps:is_key(userinfo, U) andalso not maps:is_key(query, U) andalso
                    not maps:is_key(fragment, U),
            Port = maps:get(port, U, undefined),
            Path = maps:get(path, U, <<>>),
            case string:lowercase(Scheme) of
                <<"http">> when NoExtras -> url(http, Host, Port, Path);
                <<"https">> when NoExtras -> url(https, Host, Port, Path);
                _ -> {error, unsupported_url}
            end;
        _ ->
            {error, unsupported_url}
    catch
        _:_ -> {error, unsupported_url}
    end.

%%% Internal

url(Scheme, Host, Port0, Path) ->
    Default = default_port(Scheme),
    Port =
        case Port0 of
            undefined -> Default;
            _ -> Port0
        end,
    HostString = binary_to_list(Host),
    {Address, HostPart} =
        case inet:parse_address(HostString) of
            {ok, IP} when tuple_size(IP) =:= 8 -> {IP, <<"[", Host/binary, "]">>};
            {ok, IP} -> {IP, Host};
            {error, einval} -> {HostString, Host}
        end,
    HostHeader =
        case Port of
            Default -> HostPart;
            _ -> <<HostPart/binary, ":", (integer_to_binary(Port))/binary>>
        end,
    case is_integer(Port) andalso Port > 0 andalso Port =< 65535 andalso valid_path(Path) of
        true ->
            {ok, #{
                scheme => Scheme,
                host => Address,
                port => Port,
                host_header => HostHeader,
                path_prefix => trim_slashes(Path)
            }};
        false ->
            {error, unsupported_url}
    end.

default_port(http) -> 80;
default_port(https) -> 443.

valid_path(<<>>) -> true;
valid_path(<<"/", _/binary>>) -> true;
valid_path(_) -> false.

trim_slashes(<<>>) ->
    <<>>;
trim_slashes(Path) ->
    Size = byte_size(Path) - 1,
    case Path of
        <<Init:Size/binary, "/">> -> trim_slashes(Init);
        _ -> Path
    end.
