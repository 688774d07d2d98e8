using AiSocial.Moderation.Calibration;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.AdminConsole.Apis;

/// <summary>How well each signal's scores agree with reviewers' decisions, for staff setting a policy's thresholds.</summary>
public static class CalibrationApi
{
    public static RouteGroupBuilder MapCalibrationApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/api/v1/moderation/calibration").WithTags("Moderation").RequireAuthorization(ConsolePolicies.Staff);
        group.MapGet("", Get);
        return group;
    }

    /// <summary>Precision and recall of each live signal category at thresholds 0.05 to 0.95, and the lowest threshold reaching <paramref name="target"/> precision.</summary>
    private static async Task<Results<Ok<CalibrationReport>, BadRequestProblem>> Get(CalibrationReports reports, CancellationToken cancellationToken,
        double target = CalibrationReport.DefaultTargetPrecision)
    {
        if (!(target is > 0 and <= 1))
        {
            return new BadRequestProblem(Refusal.Invalid("target", "The target precision is a number above 0 and at most 1, such as 0.9."));
        }

        return TypedResults.Ok(await reports.ComputeAsync(target, cancellationToken));
    }
}
