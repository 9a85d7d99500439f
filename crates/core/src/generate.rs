//! Deterministic synthetic exports: the same `--seed` always writes the same bytes.
//!
//! The mix is an ordinary tenant's: mostly SharePoint file activity, Entra ID sign-ins and
//! mailbox access, a few percent send-type events (connector cards, delegates, an app,
//! owners), each AuditData about 1.3 KB like real records. Sentinel output carries an
//! ingestion time drawn from per-workload delay distributions, so delay charts have data.
//! Every format writes the same records for the same seed (the same ids, so exports of one seed
//! in two formats are duplicates of each other).

use std::io::{self, Write};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::ingest::Format;

/// splitmix64: tiny, fast, and fully determined by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

const PEOPLE: [&str; 8] = [
    "adele.vance@contoso.com",
    "alex.wilber@contoso.com",
    "diego.siciliani@contoso.com",
    "grady.archie@contoso.com",
    "isaiah.langer@contoso.com",
    "johanna.lorenz@contoso.com",
    "lee.gu@contoso.com",
    "megan.bowen@contoso.com",
];
const SHARED: [&str; 3] = ["ceo@contoso.com", "support@contoso.com", "payroll@contoso.com"];
const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

struct Record {
    audit: Value,
    id: String,
    time: DateTime<Utc>,
    record_type: u32,
    operation: String,
    user: String,
    workload: &'static str,
    /// Seconds until the record reached the log.
    delay: i64,
}

fn base(rng: &mut Rng, time: DateTime<Utc>, record_type: u32, op: &str, user: &str, workload: &str) -> (String, Value) {
    let id = rng.guid();
    let audit = json!({
        "CreationTime": time.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "Id": id,
        "Operation": op,
        "OrganizationId": "b7c1e2d4-5f60-4a7b-8c9d-0e1f2a3b4c5d",
        "RecordType": record_type,
        "UserKey": format!("1003200{:09X}", rng.below(1 << 36)),
        "UserType": 0,
        "Version": 1,
        "Workload": workload,
        "ClientIP": format!("{}.{}.{}.{}", 20 + rng.below(180), rng.below(256), rng.below(256), 1 + rng.below(254)),
        "UserId": user,
        "AppAccessContext": {
            "AADSessionId": rng.guid(),
            "CorrelationId": rng.guid(),
            "UniqueTokenId": "dGhpcyBpcyBhIHN5bnRoZXRpYyB0b2tlbg",
            "IssuedAtTime": (time - Duration::minutes(20)).format("%Y-%m-%dT%H:%M:%S").to_string(),
        },
    });
    (id, audit)
}

fn extend(audit: &mut Value, extra: Value) {
    if let (Some(a), Some(b)) = (audit.as_object_mut(), extra.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
}

/// Delay until arrival: SharePoint minutes, Entra ID tens of minutes, Exchange long-tailed to hours.
fn delay_for(rng: &mut Rng, workload: &str) -> i64 {
    let u = (rng.below(10_000) as f64 + 0.5) / 10_000.0;
    let (median, spread) = match workload {
        "SharePoint" | "OneDrive" => (6.0 * 60.0, 0.8),
        "AzureActiveDirectory" => (25.0 * 60.0, 0.9),
        _ => (50.0 * 60.0, 1.6),
    };
    // Log-normal by inverse CDF of a logistic approximation: cheap and long-tailed.
    let z = (u / (1.0 - u)).ln() / 1.7;
    (median * (spread * z).exp()).round() as i64
}

fn record(rng: &mut Rng, n: u64, start: DateTime<Utc>) -> Record {
    let time = start + Duration::seconds((n * 7 + rng.below(7)) as i64);
    let roll = rng.below(1000);
    let user = rng.pick(&PEOPLE).to_owned();
    let (record_type, op, workload, mut audit, id);
    if roll < 550 {
        (record_type, workload) = (6, "SharePoint");
        op = rng.pick(&["FileAccessed", "FileModified", "FilePreviewed", "FileDownloaded"]).to_owned();
        (id, audit) = base(rng, time, record_type, &op, &user, workload);
        let file = format!("Quarterly-report-{:04}.docx", rng.below(9999));
        extend(
            &mut audit,
            json!({
                "ObjectId": format!("https://contoso.sharepoint.com/sites/finance/Shared Documents/Reports/{file}"),
                "SiteUrl": "https://contoso.sharepoint.com/sites/finance/",
                "SourceFileName": file,
                "SourceRelativeUrl": "Shared Documents/Reports",
                "SourceFileExtension": "docx",
                "ListId": rng.guid(), "Site": rng.guid(),
                "ItemType": "File", "EventSource": "SharePoint", "Platform": "WinDesktop",
                "UserAgent": UA, "GeoLocation": "EUR", "IsManagedDevice": false,
            }),
        );
    } else if roll < 750 {
        (record_type, workload) = (15, "AzureActiveDirectory");
        op = "UserLoggedIn".to_owned();
        (id, audit) = base(rng, time, record_type, &op, &user, workload);
        extend(
            &mut audit,
            json!({
                "ObjectId": "00000003-0000-0000-c000-000000000000",
                "ResultStatus": "Success",
                "AzureActiveDirectoryEventType": 1,
                "ExtendedProperties": [
                    {"Name": "ResultStatusDetail", "Value": "Redirect"},
                    {"Name": "UserAgent", "Value": UA},
                    {"Name": "RequestType", "Value": "OAuth2:Authorize"}
                ],
                "ModifiedProperties": [],
                "Actor": [{"ID": rng.guid(), "Type": 0}, {"ID": user.clone(), "Type": 5}],
                "ActorContextId": "b7c1e2d4-5f60-4a7b-8c9d-0e1f2a3b4c5d",
                "Target": [{"ID": "00000003-0000-0000-c000-000000000000", "Type": 0}],
                "ApplicationId": "4765445b-32c6-49b0-83e6-1d93765276ca",
                "DeviceProperties": [{"Name": "OS", "Value": "Windows10"}, {"Name": "BrowserType", "Value": "Edge"}],
                "ErrorNumber": "0",
            }),
        );
    } else if roll < 960 {
        (record_type, workload) = (50, "Exchange");
        op = "MailItemsAccessed".to_owned();
        (id, audit) = base(rng, time, record_type, &op, &user, workload);
        extend(
            &mut audit,
            json!({
                "ResultStatus": "Succeeded", "ClientInfoString": "Client=REST;Client=RESTSystem;;",
                "ClientIPAddress": "2603:10b6:930:3d::7", "ExternalAccess": false, "InternalLogonType": 0, "LogonType": 0,
                "LogonUserSid": "S-1-5-21-1111111111-2222222222-3333333333-4420872",
                "MailboxGuid": rng.guid(), "MailboxOwnerSid": "S-1-5-21-1111111111-2222222222-3333333333-4420872",
                "MailboxOwnerUPN": user.clone(),
                "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}],
                "OperationCount": 1,
                "Folders": [{"FolderItems": [{"InternetMessageId": format!("<{}@AM6PR01MB4535.eurprd01.prod.outlook.com>", rng.guid()), "SizeInBytes": 23000 + rng.below(90000)}], "Id": "LgAAAAB2Lk0Bs3mBT5r0nYgYf5X0AQDv", "Path": "\\Inbox"}],
            }),
        );
    } else {
        (record_type, workload) = (2, "Exchange");
        let kind = rng.below(40);
        let (operation, actor, client, mailbox, send_as, app): (
            &str,
            String,
            &str,
            String,
            Option<String>,
            Option<&str>,
        ) = match kind {
            0..=19 => (
                "SendAs",
                "tony.redmond@contoso.com".into(),
                "Client=ConnectorWorkProvider",
                "mvptweets@contoso.com".into(),
                Some("mvptweets@contoso.com".into()),
                None,
            ),
            20..=25 => (
                "SendAs",
                user.clone(),
                rng.pick(&["Client=OWA;Action=ViaProxy", "Client=MSExchangeRPC"]),
                user.clone(),
                Some(rng.pick(&SHARED).to_owned()),
                Some("00000002-0000-0ff1-ce00-000000000000"),
            ),
            26..=28 => (
                "SendOnBehalf",
                user.clone(),
                "Client=OWA;Action=ViaProxy",
                user.clone(),
                None,
                Some("00000002-0000-0ff1-ce00-000000000000"),
            ),
            29..=31 => (
                "SendAs",
                "flow-sender@contoso.com".into(),
                "Client=REST;Client=RESTSystem;;",
                "flow-sender@contoso.com".into(),
                Some("support@contoso.com".into()),
                Some("7df0a125-d3be-4c96-aa54-591f83ff541c"),
            ),
            _ => (
                "Send",
                user.clone(),
                "Client=OWA;Action=ViaProxy",
                user.clone(),
                None,
                Some("00000002-0000-0ff1-ce00-000000000000"),
            ),
        };
        op = operation.to_owned();
        (id, audit) = base(rng, time, record_type, &op, &actor, workload);
        let subject = format!("Card {} from @contoso: quarterly numbers are in", rng.below(100_000));
        extend(
            &mut audit,
            json!({
                "ResultStatus": "Succeeded", "ClientInfoString": client, "ClientIPAddress": "40.107.22.91",
                "ExternalAccess": false, "InternalLogonType": 0, "LogonType": 0,
                "LogonUserSid": "S-1-5-21-1111111111-2222222222-3333333333-5001",
                "MailboxGuid": rng.guid(), "MailboxOwnerSid": "S-1-5-21-1111111111-2222222222-3333333333-5001",
                "MailboxOwnerUPN": mailbox, "OrganizationName": "contoso.onmicrosoft.com",
                "OriginatingServer": "AM6PR01MB4535 (15.20.2729.032)\n",
                "Item": {"Id": "RgAAAAB2Lk0Bs3mBT5r0nYgYf5X0BwDv", "InternetMessageId": format!("<{}@contoso.com>", rng.guid()), "ParentFolder": {"Id": "LgAAAAB2", "Path": "\\Sent Items"}, "SizeInBytes": 12345, "Subject": subject},
                "SaveToSentItems": true,
            }),
        );
        if let Some(target) = send_as {
            extend(&mut audit, json!({"SendAsUserSmtp": target, "SendAsUserMailboxGuid": rng.guid()}));
        }
        if operation == "SendOnBehalf" {
            extend(
                &mut audit,
                json!({"SendOnBehalfOfUserSmtp": rng.pick(&SHARED), "SendOnBehalfOfUserMailboxGuid": rng.guid()}),
            );
        }
        if let Some(app) = app {
            extend(&mut audit, json!({"AppId": app, "ClientAppId": app}));
        }
    }
    let user_field = audit["UserId"].as_str().unwrap_or_default().to_owned();
    let delay = delay_for(rng, workload);
    Record { audit, id, time, record_type, operation: op, user: user_field, workload, delay }
}

fn csv_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The record type's name, as `Export-Csv` writes it.
fn record_type_name(record_type: u32) -> &'static str {
    match record_type {
        2 => "ExchangeItem",
        6 => "SharePointFileOperation",
        15 => "AzureActiveDirectoryStsLogon",
        50 => "ExchangeItemAggregated",
        _ => "Unknown",
    }
}

/// A string field of a record's AuditData as a flat export writes it.
fn flat(audit: &Value, key: &str) -> String {
    audit
        .get(key)
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            v => v.to_string(),
        })
        .unwrap_or_default()
}

/// The columns of a `CloudAppEvents` advanced hunting export: a portal query's projection, in
/// the table's order.
const CLOUD_APP_EVENTS_COLUMNS: &str = "Timestamp,ActionType,Application,ApplicationId,AccountObjectId,AccountId,AccountDisplayName,IsAdminOperation,IPAddress,CountryCode,ObjectName,ObjectId,ReportId,RawEventData,AdditionalFields";

/// FNV-1a: a stable 64-bit digest of a text (ids derived from a record, drawing nothing from
/// the seeded generator, so the records stay those of every other format).
fn digest(text: &str, salt: u64) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A GUID-shaped id derived from a text.
fn derived_guid(text: &str, salt: u64) -> String {
    let (a, b) = (digest(text, salt), digest(text, !salt));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// `adele.vance@contoso.com` → `Adele Vance`.
fn display_name(user: &str) -> String {
    let local = user.split('@').next().unwrap_or_default();
    let words = local.split('.').filter(|w| !w.is_empty()).map(|w| {
        let mut chars = w.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
    });
    words.collect::<Vec<_>>().join(" ")
}

/// A CSV cell quoted only when it must be, as the Defender portal's export writes them.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        csv_quote(s)
    } else {
        s.to_owned()
    }
}

/// Writes an export of `rows` records in `format` (every format SendAs Lens reads); the same
/// `seed` always writes the same bytes.
pub fn write_export(format: Format, rows: u64, seed: u64, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng(seed);
    let start = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).single().expect("a valid date");
    match format {
        Format::PurviewCsv => {
            writeln!(out, "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames")?;
        }
        Format::SentinelCsv => {
            writeln!(out, "TenantId,SourceSystem,TimeGenerated [UTC],OfficeId,RecordType,OfficeWorkload,Operation,UserId,UserType,ClientIP,ClientInfoString,Logon_Type,MailboxOwnerUPN,SendAsUserSmtp,SendOnBehalfOfUserSmtp,AppId,ItemName,IngestionTime [UTC],Type")?;
        }
        Format::GraphJson => write!(out, "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#security/auditLog/queries('q')/records\",\"value\":[")?,
        Format::Ndjson => {}
        Format::ClassicCsv => writeln!(out, "CreationDate,UserIds,Operations,AuditData")?,
        Format::PowershellCsv => writeln!(
            out,
            "\"RunspaceId\",\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\",\"ResultCount\",\"Identity\",\"IsValid\",\"ObjectState\""
        )?,
        Format::ManagementApiJson => write!(out, "[")?,
        Format::CloudAppEventsCsv => writeln!(out, "{CLOUD_APP_EVENTS_COLUMNS}")?,
        Format::MailboxAuditCsv => writeln!(
            out,
            "\"Operation\",\"OperationResult\",\"LogonType\",\"ExternalAccess\",\"ClientInfoString\",\"ClientIPAddress\",\"MailboxOwnerUPN\",\"MailboxOwnerSid\",\"LogonUserDisplayName\",\"LogonUserSid\",\"SendAsUserSmtp\",\"SendOnBehalfOfUserSmtp\",\"ItemSubject\",\"LastAccessed\",\"IsValid\",\"ObjectState\""
        )?,
    }
    for n in 0..rows {
        let r = record(&mut rng, n, start);
        let audit_text = r.audit.to_string();
        match format {
            Format::ClassicCsv => writeln!(
                out,
                "{}.0000000Z,{},{},{}",
                r.time.format("%Y-%m-%dT%H:%M:%S"),
                r.user,
                r.operation,
                csv_quote(&audit_text)
            )?,
            Format::PowershellCsv => {
                // Export-Csv renders dates in the exporting machine's culture (here en-US).
                let fields = [
                    "0f7e9d1c-2b3a-4c5d-8e9f-a0b1c2d3e4f5".to_owned(),
                    record_type_name(r.record_type).to_owned(),
                    r.time.format("%-m/%-d/%Y %-I:%M:%S %p").to_string(),
                    r.user.clone(),
                    r.operation.clone(),
                    audit_text,
                    (n + 1).to_string(),
                    rows.to_string(),
                    String::new(),
                    "True".to_owned(),
                    "Unchanged".to_owned(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_quote(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            Format::ManagementApiJson => {
                if n > 0 {
                    write!(out, ",")?;
                }
                write!(out, "{audit_text}")?;
            }
            Format::MailboxAuditCsv => {
                let a = &r.audit;
                let subject = a.pointer("/Item/Subject").and_then(Value::as_str).unwrap_or_default();
                let fields = [
                    r.operation.clone(),
                    "Succeeded".to_owned(),
                    if flat(a, "SendAsUserSmtp").is_empty() { "Owner" } else { "Delegate" }.to_owned(),
                    "False".to_owned(),
                    flat(a, "ClientInfoString"),
                    flat(a, "ClientIP"),
                    flat(a, "MailboxOwnerUPN"),
                    flat(a, "MailboxOwnerSid"),
                    r.user.clone(),
                    flat(a, "LogonUserSid"),
                    flat(a, "SendAsUserSmtp"),
                    flat(a, "SendOnBehalfOfUserSmtp"),
                    subject.to_owned(),
                    r.time.format("%-m/%-d/%Y %-I:%M:%S %p").to_string(),
                    "True".to_owned(),
                    "Unchanged".to_owned(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_quote(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            Format::PurviewCsv => writeln!(
                out,
                "{},\"{}.0000000Z \",{},{},{},{},,",
                r.id,
                r.time.format("%Y-%m-%dT%H:%M:%S"),
                r.record_type,
                r.operation,
                r.user,
                csv_quote(&audit_text)
            )?,
            Format::Ndjson => writeln!(out, "{audit_text}")?,
            Format::GraphJson => {
                if n > 0 {
                    write!(out, ",")?;
                }
                let envelope = json!({
                    "@odata.type": "#microsoft.graph.security.auditLogRecord",
                    "id": r.id, "createdDateTime": format!("{}Z", r.time.format("%Y-%m-%dT%H:%M:%S")),
                    "auditLogRecordType": r.record_type.to_string(), "operation": r.operation,
                    "organizationId": "b7c1e2d4-5f60-4a7b-8c9d-0e1f2a3b4c5d", "userType": "regular",
                    "userId": "7b1d3c4e-0000-4000-8000-000000000001", "service": r.workload,
                    "objectId": Value::Null, "userPrincipalName": r.user, "clientIp": r.audit["ClientIP"],
                    "administrativeUnits": [], "auditData": r.audit,
                });
                write!(out, "{envelope}")?;
            }
            Format::CloudAppEventsCsv => {
                let (application, application_id) = match r.workload {
                    "Exchange" => ("Microsoft Exchange Online", "20893"),
                    "SharePoint" => ("Microsoft SharePoint Online", "20892"),
                    _ => ("Office 365", "11161"),
                };
                let account = derived_guid(&r.user, 1);
                let object_id = flat(&r.audit, "ObjectId");
                let object_name = object_id.rsplit('/').next().unwrap_or_default().to_owned();
                let fields = [
                    format!("{}.0000000Z", r.time.format("%Y-%m-%dT%H:%M:%S")),
                    r.operation.clone(),
                    application.to_owned(),
                    application_id.to_owned(),
                    account.clone(),
                    account,
                    display_name(&r.user),
                    "false".to_owned(),
                    flat(&r.audit, "ClientIP"),
                    "NL".to_owned(),
                    object_name,
                    object_id,
                    derived_guid(&r.id, 2),
                    audit_text,
                    "{}".to_owned(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            Format::SentinelCsv => {
                let s = |k: &str| flat(&r.audit, k);
                let subject = r.audit.pointer("/Item/Subject").and_then(Value::as_str).unwrap_or_default();
                let fields = [
                    "b7c1e2d4-5f60-4a7b-8c9d-0e1f2a3b4c5d".to_owned(),
                    "RestAPI".into(),
                    format!("{}.000Z", r.time.format("%Y-%m-%dT%H:%M:%S")),
                    r.id.clone(),
                    record_type_name(r.record_type).into(),
                    r.workload.into(),
                    r.operation.clone(),
                    r.user.clone(),
                    "Regular".into(),
                    s("ClientIP"),
                    s("ClientInfoString"),
                    if r.workload == "Exchange" { "Owner".into() } else { String::new() },
                    s("MailboxOwnerUPN"),
                    s("SendAsUserSmtp"),
                    s("SendOnBehalfOfUserSmtp"),
                    s("AppId"),
                    subject.to_owned(),
                    format!("{}.000Z", (r.time + Duration::seconds(r.delay.max(1))).format("%Y-%m-%dT%H:%M:%S")),
                    "OfficeActivity".into(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_quote(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    match format {
        Format::GraphJson => writeln!(out, "]}}")?,
        Format::ManagementApiJson => writeln!(out, "]")?,
        _ => {}
    }
    out.flush()
}
