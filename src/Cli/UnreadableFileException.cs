namespace AiSocial.Cli;

/// <summary>A local file a command needs is damaged; the message names it and says how to fix it.</summary>
public sealed class UnreadableFileException(string message, Exception? innerException = null) : Exception(message, innerException);
