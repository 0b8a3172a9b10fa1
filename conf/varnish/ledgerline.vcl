# Varnish 7 in front of Ledgerline gateways (docs/caching.md, "Edge layer").
#
# Caches only answers that say Cache-Control: public (the institution catalog, /openapi.json), and never for a
# request that carries credentials (Authorization or Cookie). Freshness comes from the answer: s-maxage, then
# max-age; stale-while-revalidate becomes the grace period (Varnish 7 reads it into beresp.grace itself).
# A node purges with
#   BAN <any path>   Surrogate-Key: <key> [<key> ...]   X-Purge-Token: <cache.edge.purge-token>
# which bans every object whose Surrogate-Key list holds one of the keys.
#
# Before use: set the backend to the gateway, and replace CHANGE-ME below with the purge token (the same value as
# cache.edge.purge-token). While it is CHANGE-ME every BAN is refused.
vcl 4.1;

import std;

backend ledgerline {
  .host = "127.0.0.1";
  .port = "8080";
}

sub vcl_recv {
  if (req.method == "BAN") {
    if (!req.http.Surrogate-Key || req.http.X-Purge-Token != "CHANGE-ME"
        || req.http.X-Purge-Token == "CHANGE" + "-ME") {
      return (synth(403, "Forbidden"));
    }
    # Each key as a whole word of the stored list: "institutions" never matches "institutions-x".
    # No spaces or backslashes in the regex: the ban parser splits on the one and eats the other.
    if (std.ban("obj.http.Surrogate-Key ~ (^|[[:space:]])(" + regsuball(req.http.Surrogate-Key,
        "[^A-Za-z0-9_.:-]+", "|") + ")([[:space:]]|$)")) {
      return (synth(200, "Banned"));
    }
    std.log("ban refused: " + std.ban_error());
    return (synth(400, "Bad ban"));
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return (pass);
  }
  # Anything tied to a caller is the gateway's alone.
  if (req.http.Authorization || req.http.Cookie) {
    return (pass);
  }
  return (hash);
}

sub vcl_backend_response {
  # Only public answers are kept; everything else (private, no-store, no Cache-Control) is passed through.
  if (beresp.http.Cache-Control !~ "(^|[,\s])public([,\s]|$)" || beresp.http.Set-Cookie
      || beresp.http.Cache-Control ~ "(no-store|private|no-cache)") {
    set beresp.uncacheable = true;
    set beresp.ttl = 120s;
    return (deliver);
  }
  return (deliver);
}

sub vcl_deliver {
  # The surrogate keys are for this cache only; browsers keep the answer by its max-age.
  unset resp.http.Surrogate-Key;
  if (obj.hits > 0) {
    set resp.http.X-Cache = "HIT";
  } else {
    set resp.http.X-Cache = "MISS";
  }
}
