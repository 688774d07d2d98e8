using System.Net;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Testing;

namespace AiSocial.AdminConsole.Tests;

public sealed class SignInTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static bool HasSessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("aisocial.console=", StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970"));

    [Fact]
    public async Task A_page_asks_a_stranger_to_sign_in_and_remembers_where_they_were_going()
    {
        var response = await console.Browser().GetAsync("/review");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?ReturnUrl=%2Freview", response.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task A_moderator_signs_in_with_the_form_and_reaches_the_review_queue()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var browser = console.Browser();

        var signIn = await ConsoleFixture.SignInAsync(browser, moderator.Handle, TestPasswords.Default, "/review");

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(("localhost", "/review"), (signIn.Headers.Location?.Host, signIn.Headers.Location?.PathAndQuery));
        Assert.True(HasSessionCookie(signIn));
        var queue = await browser.GetAsync("/review");
        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
        Assert.Contains("Review queue", await queue.Content.ReadAsStringAsync());
        Assert.Contains(await console.Get<AuditLog>().ForSubjectAsync("account", moderator.Id.ToString(), default), e => e.Action == "staff.signin");
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var browser = console.Browser();
        var form = SignInForm.Parse(await (await browser.GetAsync("/signin")).Content.ReadAsStringAsync());

        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [form.HandleField] = moderator.Handle,
            [form.PasswordField] = TestPasswords.Default,
            ["_handler"] = form.Handler,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(HasSessionCookie(response));
    }

    [Fact]
    public async Task A_wrong_password_gets_a_message_and_no_session()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);

        var response = await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, "not the password");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Handle or password is wrong.", await response.Content.ReadAsStringAsync());
        Assert.False(HasSessionCookie(response));
    }

    [Fact]
    public async Task A_refused_sign_in_never_sends_the_password_back()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var person = await console.CreateAccountAsync(Roles.User);
        var typed = $"typed-{Guid.NewGuid():N}";

        var refusals = new[]
        {
            (Password: typed, Response: await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, typed)),
            (Password: typed, Response: await ConsoleFixture.SignInAsync(console.Browser(), "", typed)), // the form comes back to name the handle
            (Password: TestPasswords.Default, Response: await ConsoleFixture.SignInAsync(console.Browser(), person.Handle, TestPasswords.Default)),
        };

        foreach (var (password, response) in refusals)
        {
            var page = await response.Content.ReadAsStringAsync();
            Assert.Contains("id=\"password\"", page);
            Assert.DoesNotContain(password, page);
            Assert.DoesNotContain(System.Net.WebUtility.HtmlEncode(password), page);
            Assert.DoesNotMatch("<input[^>]*id=\"password\"[^>]*value=", page);
        }
    }

    [Fact]
    public async Task People_without_a_staff_role_cannot_sign_in()
    {
        var person = await console.CreateAccountAsync(Roles.User, Roles.Creator);

        var response = await ConsoleFixture.SignInAsync(console.Browser(), person.Handle, TestPasswords.Default);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("This console is for staff", await response.Content.ReadAsStringAsync());
        Assert.False(HasSessionCookie(response));
    }

    [Fact]
    public async Task An_ML_engineer_is_staff_but_may_not_review()
    {
        var engineer = await console.CreateAccountAsync(Roles.MlEngineer);
        var browser = console.Browser();
        await ConsoleFixture.SignInAsync(browser, engineer.Handle, TestPasswords.Default);

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        var review = await browser.GetAsync("/review");
        Assert.Equal(HttpStatusCode.Redirect, review.StatusCode);
        Assert.StartsWith("/denied", review.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task A_return_address_off_this_site_is_ignored()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);

        var response = await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, TestPasswords.Default, "//evil.example/steal");

        Assert.Equal(("localhost", "/"), (response.Headers.Location?.Host, response.Headers.Location?.PathAndQuery));
    }

    [Fact]
    public async Task Staff_see_any_stored_image_and_strangers_none()
    {
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id);
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var browser = console.Browser();
        await ConsoleFixture.SignInAsync(browser, moderator.Handle, TestPasswords.Default);

        var staff = await browser.GetAsync($"/media/{post.Media.Sha256}");
        var stranger = await console.Browser().GetAsync($"/media/{post.Media.Sha256}");

        Assert.Equal(HttpStatusCode.OK, staff.StatusCode);
        Assert.Equal("image/png", staff.Content.Headers.ContentType?.MediaType);
        Assert.Contains("private", staff.Headers.CacheControl!.ToString());
        Assert.NotEqual(HttpStatusCode.OK, stranger.StatusCode);
    }

    [Fact]
    public async Task Signing_out_needs_the_token_ends_the_session_and_is_audited()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var browser = console.Browser();
        await ConsoleFixture.SignInAsync(browser, moderator.Handle, TestPasswords.Default);
        var page = await (await browser.GetAsync("/")).Content.ReadAsStringAsync();
        var token = SignInForm.AntiforgeryTokenIn(page);

        var forged = await browser.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var signOut = await browser.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/review")).StatusCode);
        Assert.Contains(await console.Get<AuditLog>().ForSubjectAsync("account", moderator.Id.ToString(), default), e => e.Action == "staff.signout");
    }
}
