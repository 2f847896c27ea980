-- Webhook scopes arrived after some keys were issued: a key that could already submit jobs (and
-- so set per-request webhooks) gets the webhook scopes too.
UPDATE api_keys
SET scopes = scopes || ARRAY['webhooks:read', 'webhooks:write']
WHERE 'jobs:write' = ANY (scopes) AND NOT ('webhooks:write' = ANY (scopes));
