using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Daemons;
using Microsoft.AspNetCore.Http;

namespace ActorSupervisor.Control.Endpoints;

/// <summary>How every answer is written: JSON from the source-generated context, errors as <see cref="ErrorView"/>.</summary>
internal static class ControlResults
{
    public static Task Json<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, type, contentType: "application/json; charset=utf-8", context.RequestAborted);
    }

    public static Task Error(HttpContext context, int status, string message, string? name = null) =>
        Json(context, status, new ErrorView { Error = message, Name = name }, ControlJson.Default.ErrorView);

    public static Task Invalid(HttpContext context, InvalidSpecException e, string? name = null) =>
        Json(context, StatusCodes.Status400BadRequest, new ErrorView
        {
            Error = e.Message.ReplaceLineEndings(" ").Replace("  ", " "),
            Name = name,
            Problems = e.Problems.Select(p => new ProblemView(p.Field, p.Value, p.Problem)).ToList(),
        }, ControlJson.Default.ErrorView);

    public static byte[] Line<T>(T value, JsonTypeInfo<T> type)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}
