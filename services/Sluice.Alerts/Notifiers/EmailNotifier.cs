using System.Net.Mail;
using Sluice.Alerts.Rules;
using Sluice.Hosting;

namespace Sluice.Alerts.Notifiers;

/// <summary>Sends the notification as a plain-text e-mail through the SMTP server of <c>--smtp</c> (host:port).</summary>
public sealed class EmailNotifier(SluiceSettings settings) : INotifier
{
    public const string IdempotencyHeader = "X-Sluice-Idempotency-Key";

    public string Type => "email";

    public async Task SendAsync(NotifierDefinition config, string payload, string idempotencyKey, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(settings.Smtp)) throw new InvalidOperationException("No SMTP server: set --smtp host:port (SLUICE_SMTP).");
        var colon = settings.Smtp.LastIndexOf(':');
        var host = colon > 0 ? settings.Smtp[..colon] : settings.Smtp;
        var port = colon > 0 ? int.Parse(settings.Smtp[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 25;
        using var message = new MailMessage { From = new MailAddress(config.From ?? "sluice-alerts@localhost"), Subject = NotificationText.Title(payload), Body = NotificationText.Summary(payload) + "\n" + payload };
        foreach (var to in config.To!) message.To.Add(to);
        message.Headers.Add(IdempotencyHeader, idempotencyKey);
        message.Headers.Add("Message-ID", $"<{idempotencyKey}@sluice-alerts>");
        using var smtp = new SmtpClient(host, port) { DeliveryMethod = SmtpDeliveryMethod.Network, Timeout = 10_000 };
        await smtp.SendMailAsync(message, ct);
    }
}
