"""HTTP helpers shared by the views of several apps (ETag/If-Match, the request's CRS, collect answers)."""
