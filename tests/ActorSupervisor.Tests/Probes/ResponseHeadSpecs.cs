using System.Text;
using ActorSupervisor.Health;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// The HTTP/1.x response-head parser on its own, on crafted heads: the status code, which headers count and which
/// statuses never carry a body.
/// </summary>
public sealed class ResponseHeadSpecs
{
    private static ResponseHead Parse(string head)
    {
        var outcome = ResponseHead.TryParse(Encoding.ASCII.GetBytes(head), out var parsed, out var error);
        Assert.True(outcome == ResponseHead.Outcome.Complete, $"{outcome}: {error}");
        return parsed;
    }

    [Theory]
    [InlineData("HTTP/1.1 234 X\r\n\r\n", 234)]
    [InlineData("HTTP/1.0 451 Unavailable For Legal Reasons\r\nContent-Length: 0\r\n\r\n", 451)]
    [InlineData("HTTP/1.1 299\r\n\r\n", 299)]
    [InlineData("HTTP/1.1 010\r\n\r\n", 10)]
    public void The_status_is_the_three_digits_of_the_status_line(string head, int status)
    {
        Assert.Equal(status, Parse(head).Status);
    }

    [Fact]
    public void A_header_whose_name_only_ends_in_Connection_does_not_close()
    {
        // The last header line is where a slicing slip would show: it is followed by no CRLF of its own.
        var head = Parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Connection: close\r\n\r\n");
        Assert.False(head.Close);
        Assert.Equal(2, head.ContentLength);
    }

    [Fact]
    public void A_header_whose_name_only_ends_in_Content_Length_is_ignored_whatever_its_value()
    {
        var head = Parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nX-Content-Length: not a number\r\n\r\n");
        Assert.Null(head.ContentLength);
        Assert.False(head.Close);
    }

    [Fact]
    public void A_header_whose_name_only_ends_in_Transfer_Encoding_does_not_make_the_body_chunked()
    {
        var head = Parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nXTransfer-Encoding: chunked\r\n\r\n");
        Assert.False(head.Chunked);
        Assert.Equal(0, head.ContentLength);
    }

    [Theory]
    [InlineData(99, false)]
    [InlineData(100, true)]
    [InlineData(101, true)]
    [InlineData(150, true)]
    [InlineData(199, true)]
    [InlineData(200, false)]
    [InlineData(204, true)]
    [InlineData(205, false)]
    [InlineData(304, true)]
    public void Informational_204_and_304_answers_have_no_body_whatever_their_headers(int status, bool noBody)
    {
        var head = Parse($"HTTP/1.1 {status:000} X\r\nContent-Length: 5\r\n\r\n");
        Assert.Equal(noBody, head.HasNoBody);
    }
}
