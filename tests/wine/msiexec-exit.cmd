@echo off
rem Runs msiexec with the given arguments and prints its full exit code.
rem Wine truncates a process exit code to 8 bits on the way to Linux (1603 arrives as 67);
rem cmd sees the full Windows code, so cargo xtask e2e parses the EXIT= line instead.
rem
rem With E2E_WAIT_SERVICE set (the harness sets it once the product is installed), it first
rem waits while that service is START_PENDING: every Wine start re-launches services.exe, which
rem auto-starts the product service, and a service still starting refuses the stop request of
rem StopServices (1061). On a real machine the service has long been running.
if defined E2E_WAIT_SERVICE call :wait
start /wait msiexec %*
echo EXIT=%ERRORLEVEL%
goto :eof

:wait
for /l %%i in (1,1,30) do (
  sc query "%E2E_WAIT_SERVICE%" | find "PENDING" >nul || goto :eof
  ping -n 2 127.0.0.1 >nul
)
goto :eof
