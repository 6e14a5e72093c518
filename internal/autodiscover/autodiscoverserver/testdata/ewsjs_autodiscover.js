// Runs ews-javascript-api's AutodiscoverService (SOAP GetUserSettings) against the
// test server. Usage: node ewsjs_autodiscover.js <base URL>; NODE_PATH must reach
// ews-javascript-api. Prints one JSON object with what the library parsed.
const ews = require("ews-javascript-api");

const base = process.argv[2];
const svc = new ews.AutodiscoverService(new ews.Uri(base + "/autodiscover/autodiscover.svc"), ews.ExchangeVersion.Exchange2013);
svc.Credentials = new ews.WebCredentials("alice@example.com", "secret");

const names = [
  ews.UserSettingName.ExternalEwsUrl,
  ews.UserSettingName.InternalEwsUrl,
  ews.UserSettingName.UserDisplayName,
  ews.UserSettingName.EwsSupportedSchemas,
  ews.UserSettingName.InternalOABUrl,
];

(async () => {
  const out = {};
  const alice = await svc.GetUserSettings("alice@example.com", names);
  out.error_code = ews.AutodiscoverErrorCode[alice.ErrorCode];
  out.external_ews_url = alice.Settings.get(ews.UserSettingName.ExternalEwsUrl);
  out.internal_ews_url = alice.Settings.get(ews.UserSettingName.InternalEwsUrl);
  out.display_name = alice.Settings.get(ews.UserSettingName.UserDisplayName);
  out.setting_errors = alice.UserSettingErrors.map((e) => e.SettingName + ":" + ews.AutodiscoverErrorCode[e.ErrorCode]).join(",");
  out.redirect_target = String(alice.RedirectTarget);
  out.server_info = svc.ServerInfo.ToString();
  const nobody = await svc.GetUserSettings("nobody@example.com", names);
  out.unknown = ews.AutodiscoverErrorCode[nobody.ErrorCode];
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
