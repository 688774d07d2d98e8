using System.Text;
using AiSocial.Ingest.Accounts;
using AiSocial.Testing;
using Xunit.Abstractions;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The console on a real Kestrel server, so the server's own limits and rejections are what is tested.</summary>
public sealed class KestrelConsole : ConsoleFixture
{
    protected override bool OnKestrel => true;
}

/// <summary>
/// The regression corpus (<see cref="HostileRequests"/>) against the console, as an API client sends it (with a staff
/// bearer token): whatever the request was aimed at, never a 5xx, always a problem that says what was wrong, nothing
/// stored. Then what only the console takes: its media endpoint and its sign-in form.
/// </summary>
public sealed class RegressionCorpusTests(KestrelConsole console, ITestOutputHelper output) : IClassFixture<KestrelConsole>
{
    public static IEnumerable<object[]> Cases => HostileRequests.Names;

    private async Task<string> StaffTokenAsync()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        return (await console.Get<AccessTokens>().IssueAsync(moderator.Id, default)).Token;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_is_refused_with_a_problem_and_changes_nothing(string name)
    {
        var request = HostileRequests.Named(name).Build(new HostileContext(await StaffTokenAsync()));
        var before = await console.EverythingStoredAsync();

        var response = await RawHttp.SendAsync(console.Address, request);

        HostileAnswers.AssertRefused(response, status: null, name);
        Assert.Equal(before, await console.EverythingStoredAsync());
    }

    public static TheoryData<string, string, int> MediaRequests => new()
    {
        { "a hash that is not hex", "/media/not-a-hash", 404 },
        { "a hash in capitals", $"/media/{new string('A', 64)}", 404 },
        { "a hash of no stored image", $"/media/{new string('a', 64)}", 404 },
        { "a path that climbs out of the media root", "/media/..%2f..%2fetc%2fpasswd", 404 },
        { "a hash of 5 000 characters", $"/media/{new string('a', 5_000)}", 404 },
        { "a percent-encoded NUL", "/media/%00", 400 },
    };

    [Theory]
    [MemberData(nameof(MediaRequests))]
    public async Task Staff_media_refuses_what_is_not_a_stored_image(string what, string path, int status)
    {
        var token = await StaffTokenAsync();

        var response = await RawHttp.SendAsync(console.Address, RawHttp.Request("GET", path, [$"Authorization: Bearer {token}"]));

        HostileAnswers.AssertRefused(response, status, what);
    }

    public static TheoryData<string, string, string> SignInForms => new()
    {
        { "a NUL in the handle", "corpus\0person", "a long enough password" },
        { "a password of one megabyte", "corpus_person", new string('p', 1 << 20) },
        { "an unpaired surrogate in the handle", "corpus\ud800", "a long enough password" },
        { "a handle of 100 000 characters", new string('h', 100_000), "a long enough password" },
        { "a right-to-left override in the handle", "corpus\u202Eperson", "a long enough password" },
    };

    [Theory]
    [MemberData(nameof(SignInForms))]
    public async Task The_sign_in_form_answers_hostile_values_with_a_page_that_says_no(string what, string handle, string password)
    {
        using var browser = console.Browser();
        var before = await console.EverythingStoredAsync();

        var response = await ConsoleFixture.SignInAsync(browser, handle, password);

        var page = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 200 and < 500, $"{what}: {(int)response.StatusCode} {page[..Math.Min(page.Length, 2000)]}");
        Assert.Null(response.Headers.Location); // not signed in, not sent anywhere
        // The page's own alert, or (for a form the server cannot read at all, such as one with a NUL) the error page.
        var said = System.Text.RegularExpressions.Regex.Match(page, "role=\"alert\"[^>]*>([^<]+)<|data-testid=\"error-page\" data-status=\"400\">");
        Assert.True(said.Success, $"{what}: the page says nothing about what was wrong");
        output.WriteLine($"{(int)response.StatusCode}: {System.Net.WebUtility.HtmlDecode(said.Value)}");
        Assert.DoesNotContain(password.Length > 100 ? password[..100] : password, page);
        Assert.Equal(before, await console.EverythingStoredAsync());
    }

    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_a_problem_for_an_api_client()
    {
        var response = await RawHttp.SendAsync(console.Address, RawHttp.Request("POST", "/signin",
            ["Content-Type: application/x-www-form-urlencoded", "Accept: application/json"], Encoding.ASCII.GetBytes("handle=a&password=b")));

        HostileAnswers.AssertRefused(response, 400, "a sign-in form without its token");
        Assert.Contains("antiforgery", response.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_form_with_a_NUL_is_a_problem_that_says_so_for_an_api_client()
    {
        using var browser = console.Browser();
        var form = SignInForm.Parse(await (await browser.GetAsync("/signin")).Content.ReadAsStringAsync());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [form.HandleField] = "corpus\0person",
                [form.PasswordField] = "a long enough password",
                ["_handler"] = form.Handler,
                ["__RequestVerificationToken"] = form.AntiforgeryToken,
            }),
        };
        request.Headers.Accept.Clear();
        request.Headers.Accept.ParseAdd("application/json");

        var response = await browser.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("U+0000", await response.Content.ReadAsStringAsync());
    }
}
