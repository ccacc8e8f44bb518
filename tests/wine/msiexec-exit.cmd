@echo off
rem Runs msiexec with the given arguments and prints its full exit code.
rem Wine truncates a process exit code to 8 bits on the way to Linux (1603 arrives as 67);
rem cmd sees the full Windows code, so cargo xtask e2e parses the EXIT= line instead.
start /wait msiexec %*
echo EXIT=%ERRORLEVEL%
